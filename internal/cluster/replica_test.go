package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/rules"

	"github.com/plaudit/plaudit/internal/cluster"
)

// TestFeedReplicas runs the feed projection as two replicas of its own
// ("plauditd projector feed --replica rN", joined with a .creds file),
// and an engine without it, whose feed reads go to the replicas over NATS
// (a queue group spreads them). Under a writer and four readers asking
// to read their writes (min_seq), one replica is killed (SIGKILL): the
// other answers the reads, but for those the dead one held. Started
// again, it catches up on what was written meanwhile: with the other
// killed in turn, it alone answers, and its feed holds every kudos.
func TestFeedReplicas(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t)
	bin := cluster.Plauditd(t)
	base := startEngine(t, c, allowance.Module(), density.Module(), rules.Module())
	send(t, base, "PUT", "/v1/policy", adminKey, map[string]any{"allowance": map[string]any{"amount": 1000, "period": "day"}}, http.StatusCreated)
	var members []map[string]any
	for i := range 20 {
		members = append(members, map[string]any{"id": fmt.Sprintf("m-%04d", i), "name": fmt.Sprintf("Member %d", i), "team": "support", "time_zone": "UTC"})
	}
	send(t, base, "PUT", "/v1/members", adminKey, map[string]any{"members": members}, http.StatusCreated)

	replica := func(name string) *cluster.Process {
		args := []string{"projector", "feed", "--nats-url", c.URLs(), "--nats-ca", c.CAFile,
			"--nats-creds", c.Creds(t, "feed-"+name), "--replicas", "3", "--replica", name}
		return cluster.StartPlauditd(t, bin, "feed-"+name, args, "PLAUDIT_LOG_LEVEL=warn")
	}
	r1, r2 := replica("r1"), replica("r2")
	// The API limits requests per key: each reader has its own.
	var keys []string
	for range 4 {
		keys = append(keys, newKey(t, base))
	}

	// The writer gives kudos through the engine, and records them.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var (
		mu      sync.Mutex
		written []apiv1.Written
		lastSeq atomic.Uint64
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		client := clientFrom(0)
		for n := 0; ctx.Err() == nil; n++ {
			ref := fmt.Sprintf("f-%05d", n)
			body := map[string]any{"from": fmt.Sprintf("m-%04d", n%19), "to": []string{fmt.Sprintf("m-%04d", n%19+1)},
				"message": message + refMark + ref + ")"}
			for ctx.Err() == nil {
				r, err := sendWith(client, "POST", base+"/v1/kudos", adminKey, body, map[string]string{"Idempotency-Key": ref})
				if err == nil && (r.Status == http.StatusCreated || r.Status == http.StatusOK) {
					mu.Lock()
					written = append(written, apiv1.Written{ID: r.Str("id"), Seq: r.Seq()})
					mu.Unlock()
					lastSeq.Store(max(lastSeq.Load(), r.Seq()))
					break
				}
				if err == nil && r.Status < 500 && r.Status != http.StatusConflict && r.Status != http.StatusTooManyRequests {
					t.Errorf("give: %s", r)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	// The readers read the newest kudos of the tenant's feed, each after
	// the newest write it knows of.
	type read struct {
		sent, answered time.Time
		ok             bool
		status         int
		// unanswered: no replica answered (the gateway's 503 says so), or
		// no answer at all; a replica behind min_seq answers 503 too.
		unanswered bool
	}
	var reads []read
	var readsOK atomic.Int64
	for k := range 4 {
		wg.Go(func() {
			client := clientFrom(1 + k)
			for ctx.Err() == nil {
				min := lastSeq.Load()
				sent := time.Now()
				r, err := sendWith(client, "GET", base+"/v1/feed?limit=1&min_seq="+strconv.FormatUint(min, 10), keys[k], nil, nil)
				rd := read{sent: sent, answered: time.Now(), unanswered: err != nil}
				if err == nil {
					rd.status = r.Status
					rd.unanswered = r.Status == http.StatusServiceUnavailable && strings.Contains(r.Str("detail"), "no feed replica answered")
					var page apiv1.FeedPage
					if r.Status == http.StatusOK && decodeInto(r.Body, &page) == nil && (min == 0 || len(page.Items) == 1 && page.Items[0].Seq >= min) {
						rd.ok = true
						readsOK.Add(1)
					}
				}
				mu.Lock()
				reads = append(reads, rd)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	waitFor := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, d)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	writtenCount := func() int { mu.Lock(); defer mu.Unlock(); return len(written) }

	waitFor("reads answered", time.Minute, func() bool { return readsOK.Load() >= 100 && writtenCount() >= 20 })
	killed := time.Now()
	r1.Kill()
	down := writtenCount()
	// Reads go on through the other replica while writes go on.
	okAt := readsOK.Load()
	waitFor("reads after the kill", 30*time.Second, func() bool { return readsOK.Load() >= okAt+200 && writtenCount() >= down+50 })
	r1.Restart(t)
	restarted := time.Now()
	wrote := writtenCount()
	waitFor("writes after the restart", 30*time.Second, func() bool { return writtenCount() >= wrote+20 })

	// r1 alone answers now: it has caught up, with the kudos written while
	// it was down among what it answers.
	r2.Kill()
	r2Killed := time.Now()
	okAt = readsOK.Load()
	waitFor("reads through the restarted replica alone", 30*time.Second, func() bool { return readsOK.Load() >= okAt+100 })
	stop()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	// Every read sent a second after a kill was answered; the failures are
	// the reads the killed replica held when it died, at most one per
	// reader.
	for _, k := range []struct {
		name string
		at   time.Time
	}{{"r1", killed}, {"r2", r2Killed}} {
		failed, late, behind := 0, 0, 0
		var longest time.Duration
		for _, rd := range reads {
			if rd.ok || rd.sent.Before(k.at.Add(-5*time.Second)) {
				continue
			}
			if !rd.unanswered {
				behind++ // answered: not caught up with min_seq within 2 s yet
				continue
			}
			if rd.sent.Before(k.at.Add(time.Second)) && rd.answered.After(k.at) {
				failed++
				longest = max(longest, rd.answered.Sub(rd.sent))
				continue
			}
			if !rd.sent.Before(k.at.Add(time.Second)) && rd.sent.Before(k.at.Add(10*time.Second)) {
				late++
			}
		}
		t.Logf("%s killed: %d reads in flight went unanswered (failed after %v at most); %d reads sent from a second after the kill went unanswered; %d answered 503 not caught up",
			k.name, failed, longest.Round(time.Millisecond), late, behind)
		if failed > 4 {
			t.Errorf("%s killed: %d reads unanswered, more than the 4 in flight", k.name, failed)
		}
		if late > 0 {
			t.Errorf("%s killed: %d reads sent a second after the kill or later went unanswered", k.name, late)
		}
	}
	t.Logf("%d reads answered in all; r1 was down for %v", readsOK.Load(), restarted.Sub(killed).Round(time.Millisecond))

	// The whole feed, as the restarted replica alone answers it.
	want := map[string]bool{}
	for _, w := range written {
		want[w.ID] = true
	}
	got := map[string]bool{}
	cursor := ""
	for {
		q := url.Values{"limit": {"100"}, "min_seq": {strconv.FormatUint(lastSeq.Load(), 10)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := send(t, base, "GET", "/v1/feed?"+q.Encode(), adminKey, nil, http.StatusOK)
		var page apiv1.FeedPage
		decodeJSON(t, r, &page)
		for _, it := range page.Items {
			got[it.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	missing := 0
	for id := range want {
		if !got[id] {
			missing++
		}
	}
	if missing > 0 || len(got) != len(want) {
		t.Errorf("the restarted replica's feed holds %d kudos, %d of the %d written missing", len(got), missing, len(want))
	}
}

// startEngine starts an engine in this process, joined to c with the keys
// at R3, running modules (and so not the others: their queries go to
// their replicas over NATS), and returns its HTTP API's base URL.
func startEngine(t *testing.T, c *cluster.Cluster, modules ...projector.Module) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	startCtx, startCancel := context.WithTimeout(ctx, time.Minute)
	defer startCancel()
	e, err := engine.Start(startCtx, engine.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BootstrapKey: adminKey,
		NATSURL: c.URLs(), NATSKeysDir: c.KeysDir, NATSCA: c.CAFile, Replicas: 3,
		Modules: modules, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		cancel()
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := e.Wait(ctx, 5*time.Second); err != nil {
			t.Errorf("engine: %v", err)
		}
	})
	return "http://" + e.HTTPAddr()
}
