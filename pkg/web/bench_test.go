package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/rules"
)

// pageRate is the pace of BenchmarkPages: page views a second, over all
// its readers.
const pageRate = 20

// BenchmarkPages measures the web page as people load it: page views at
// pageRate a second (open loop: each view has its time slot, and its
// latency counts from that slot), over an engine holding the benchmark
// workload (bench.ConfigFromEnv: 1,000,000 events and 10,000 members by
// default) with the feed, allowance, density and rules projections caught
// up.
// The views cycle through a member's feed, team feed, own kudos, give
// form, own page and live page, and a manager's team view (14 API reads in
// process: 30 days, 12 weeks and the gap list). It reports p50-ms and
// p99-ms of a whole page answer, read to its end.
func BenchmarkPages(b *testing.B) {
	env := bench.NewEnv(b)
	var (
		base            string
		member, manager *http.Client
	)
	// Built once, for the rounds of the sub-benchmark: the fixture and
	// its catch-up take minutes.
	setup := func(b *testing.B) {
		if base != "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		eng, err := env.Fixture(b).Engine(ctx, bench.AdminKey, feed.Module(), allowance.Module(), density.Module(), rules.Module())
		if err != nil {
			b.Fatal(err)
		}
		base = "http://" + eng.HTTPAddr()
		member = signInBench(b, base, bench.Member(1), "member")
		manager = signInBench(b, base, bench.Member(0), "manager")
	}
	b.Run(fmt.Sprintf("views-%drps", pageRate), func(b *testing.B) {
		setup(b)
		views := []struct {
			c    *http.Client
			path string
		}{
			{member, "/"}, {member, "/?scope=team"}, {member, "/?scope=mine"}, {member, "/give"},
			{member, "/me"}, {member, "/live"}, {manager, "/team/" + bench.Team(0)},
		}
		for _, v := range views { // each answers, whole, before the clock runs
			if _, err := view(v.c, base+v.path); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		lat, err := bench.Latencies(b.N, bench.Load{Readers: 8, Rate: pageRate}, func(i, _ int) error {
			v := views[i%len(views)]
			_, err := view(v.c, base+v.path)
			return err
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		bench.ReportLatency(b, lat)
	})
}

// view loads a page and reads it to its end; anything but 200 is an
// error.
func view(c *http.Client, u string) (int, error) {
	res, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return int(n), err
}

// signInBench signs member in to the engine at base with a link the
// benchmark's admin key asks for, and returns a client holding the
// session.
func signInBench(b *testing.B, base, member, role string) *http.Client {
	b.Helper()
	body := fmt.Sprintf(`{"member":%q,"role":%q}`, member, role)
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/sessions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bench.AdminKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var link struct {
		URL string `json:"url"`
	}
	err = json.NewDecoder(res.Body).Decode(&link)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		b.Fatalf("sign-in link for %s: %s %v", member, res.Status, err)
	}
	u, _ := url.Parse(link.URL)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	form := url.Values{"token": {u.Query().Get("token")}}
	req, _ = http.NewRequest(http.MethodPost, base+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res, err = c.Do(req); err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK { // the redirect to the feed, followed
		b.Fatalf("sign in as %s: %s", member, res.Status)
	}
	return c
}
