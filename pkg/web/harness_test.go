package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plaudit/plaudit/internal/browser"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/rules"
)

// site is a running engine with every projection but analytics, and a
// small organisation: ana manages support (ben, cara); lee manages sales
// (dev). The members joined three weeks ago: the engine's clock runs that
// far behind while they are added, then catches up with the wall clock, so
// gap lists have people in them.
type site struct {
	*enginetest.Engine
	admin string
}

// joinedAgo is how long before the test the site's members joined.
const joinedAgo = 21 * 24 * time.Hour

func startSite(t *testing.T) *site {
	t.Helper()
	var behind atomic.Int64
	behind.Store(int64(joinedAgo))
	e := enginetest.Start(t, engine.Config{
		Modules: []projector.Module{feed.Module(), allowance.Module(), density.Module(), rules.Module()},
		Now:     func() time.Time { return time.Now().Add(-time.Duration(behind.Load())) },
	})
	defer behind.Store(0)
	s := &site{Engine: e, admin: e.Key(t, "default", "admin", "")}
	e.Seed(t, s.admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "lee", Team: "sales", TimeZone: "UTC"},
		enginetest.Member{ID: "ben", Team: "support", TimeZone: "UTC", Manager: "ana"},
		enginetest.Member{ID: "cara", Team: "support", TimeZone: "UTC", Manager: "ana"},
		enginetest.Member{ID: "dev", Team: "sales", TimeZone: "UTC", Manager: "lee"},
	)
	s.Do(t, "PUT", "/v1/policy", s.admin, map[string]any{
		"allowance": map[string]any{"amount": 10, "period": "week"},
		"values":    []string{"ownership", "customer-first", "teamwork"},
	}).Want(t, http.StatusCreated)
	// Pages read the projections: they start from an organisation every
	// one of them knows.
	e.CaughtUp(t, 30*time.Second)
	return s
}

// link asks for a sign-in link for member with the admin key; role may be
// empty.
func (s *site) link(t *testing.T, member, role string) string {
	t.Helper()
	body := map[string]any{"member": member}
	if role != "" {
		body["role"] = role
	}
	r := s.Do(t, "POST", "/v1/sessions", s.admin, body).Want(t, http.StatusCreated)
	u := r.Str("url")
	if !strings.HasPrefix(u, s.URL+"/signin?token=pls_") {
		t.Fatalf("sign-in link %q is not under %s", u, s.URL)
	}
	return u
}

// signIn opens member's sign-in link in a new tab of b and confirms it,
// and returns the tab, on the feed.
func (s *site) signIn(t *testing.T, b *browser.Browser, member, role string) context.Context {
	t.Helper()
	tab := b.Tab(t)
	browser.Run(t, tab,
		chromedp.Navigate(s.link(t, member, role)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/signin"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)),
	)
	return tab
}

// client is an HTTP client signed in as member, through a link, with
// redirects not followed.
func (s *site) client(t *testing.T, member, role string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	u, err := url.Parse(s.link(t, member, role))
	if err != nil {
		t.Fatal(err)
	}
	res := s.post(t, c, "/signin", url.Values{"token": {u.Query().Get("token")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %s", member, res.Status)
	}
	return c
}

// get fetches a page and returns its status and body.
func (s *site) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	res, err := c.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// post sends a form as the page does, from the same origin.
func (s *site) post(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	res, _ := s.send(t, c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return res
}

// send posts body of contentType as the page's forms do, from the same
// origin, and returns the answer and its body, read.
func (s *site) send(t *testing.T, c *http.Client, path, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", s.URL)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the forms on a page of c's session.
func (s *site) csrf(t *testing.T, c *http.Client) string {
	t.Helper()
	_, body := s.get(t, c, "/give")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the give page has no CSRF token")
	}
	return m[1]
}
