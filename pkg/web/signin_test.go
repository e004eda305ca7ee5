package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignInLinkWorksOnce: a link signs in once; opened again, it is
// refused, and so is its post.
func TestSignInLinkWorksOnce(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	link := s.link(t, "ben", "")
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if status, body := s.get(t, c, "/signin?token="+url.QueryEscape(token)); status != http.StatusOK || !strings.Contains(body, "Sign in as Ben") {
		t.Fatalf("link page: %d %s", status, body)
	}
	res := s.post(t, c, "/signin", url.Values{"token": {token}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use: %s", res.Status)
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "plaudit_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, expiring", cookie)
	}
	if status, body := s.get(t, c, "/signin?token="+url.QueryEscape(token)); status != http.StatusForbidden || !strings.Contains(body, "used already") {
		t.Errorf("link page after use: %d", status)
	}
	if res := s.post(t, c, "/signin", url.Values{"token": {token}}); res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("second use: %s, cookies %v", res.Status, res.Cookies())
	}
}

// TestSessionsRules: who may ask for which link, and what a session can
// not do.
func TestSessionsRules(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	integ := s.Key(t, "default", "integration", "")
	member := s.Key(t, "default", "member", "ben")
	s.Do(t, "POST", "/v1/sessions", member, map[string]any{"member": "ben"}).WantProblem(t, http.StatusForbidden, "Authorization")
	s.Do(t, "POST", "/v1/sessions", integ, map[string]any{"member": "ben", "role": "admin"}).WantProblem(t, http.StatusForbidden, "role")
	s.Do(t, "POST", "/v1/sessions", s.admin, map[string]any{"member": "nobody"}).WantProblem(t, http.StatusUnprocessableEntity, "member")
	s.Do(t, "POST", "/v1/sessions", s.admin, map[string]any{"member": "ben", "role": "analyst"}).WantProblem(t, http.StatusUnprocessableEntity, "role")
	s.Do(t, "POST", "/v1/sessions", s.admin, map[string]any{"member": "ben", "ttl_minutes": 61}).WantProblem(t, http.StatusUnprocessableEntity, "ttl_minutes")
	if r := s.Do(t, "POST", "/v1/sessions", integ, map[string]any{"member": "ana"}).Want(t, http.StatusCreated); r.Str("role") != "manager" {
		t.Errorf("ana, who manages, signs in as %q, want manager", r.Str("role"))
	}
	if r := s.Do(t, "POST", "/v1/sessions", integ, map[string]any{"member": "ben"}).Want(t, http.StatusCreated); r.Str("role") != "member" {
		t.Errorf("ben signs in as %q, want member", r.Str("role"))
	}
	// A retried request does not show the link again.
	h := map[string]string{"Idempotency-Key": "link-1"}
	first := s.DoWith(t, "POST", "/v1/sessions", s.admin, map[string]any{"member": "ben"}, h).Want(t, http.StatusCreated)
	again := s.DoWith(t, "POST", "/v1/sessions", s.admin, map[string]any{"member": "ben"}, h).Want(t, http.StatusCreated)
	if first.Str("url") == "" || again.Str("url") != "" {
		t.Errorf("url in the first answer %q and in the replay %q: want it once", first.Str("url"), again.Str("url"))
	}
}

// TestFormsRefusedWithoutToken: a post without the session's CSRF token,
// or from another site, changes nothing.
func TestFormsRefusedWithoutToken(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client(t, "ben", "")
	before := s.StreamLastSeq(t)
	give := url.Values{"to": {"cara"}, "message": {"Cara rebuilt the refund macro so every agent saves a minute a call"}, "points": {"1"}}
	if res := s.post(t, c, "/give", give); res.StatusCode != http.StatusForbidden {
		t.Errorf("give without a token: %s", res.Status)
	}
	give.Set("csrf", "forged")
	if res := s.post(t, c, "/give", give); res.StatusCode != http.StatusForbidden {
		t.Errorf("give with a forged token: %s", res.Status)
	}
	give.Set("csrf", s.csrf(t, c))
	// The browser says another site made it send this.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/give", strings.NewReader(give.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site give: %s", res.Status)
	}
	if n := s.StreamLastSeq(t); n != before {
		t.Errorf("refused forms appended events: the stream went from %d to %d", before, n)
	}
	// With the token, from the page: given.
	if res := s.post(t, c, "/give", give); res.StatusCode != http.StatusSeeOther {
		t.Errorf("give with the token: %s", res.Status)
	}
}

// TestDirectoryReads: GET /v1/members and GET /v1/policy, which the page's
// forms are made from, answer every role that reads; addresses are for
// the keys that keep the directory in step.
func TestDirectoryReads(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.Do(t, "PUT", "/v1/members/ben", s.admin, map[string]any{"name": "Ben", "team": "support", "manager": "ana",
		"time_zone": "UTC", "email": "ben@example.com"}).Want(t, http.StatusCreated)
	email := func(key string) string {
		var d struct {
			Members []struct{ ID, Email string }
		}
		s.Do(t, "GET", "/v1/members", key, nil).Want(t, http.StatusOK).Decode(t, &d)
		if len(d.Members) != 5 {
			t.Errorf("%d members listed, want 5", len(d.Members))
		}
		for _, m := range d.Members {
			if m.ID == "ben" {
				return m.Email
			}
		}
		t.Fatal("ben is not listed")
		return ""
	}
	if got := email(s.admin); got != "ben@example.com" {
		t.Errorf("the admin key sees ben's address as %q", got)
	}
	if got := email(s.Key(t, "default", "member", "cara")); got != "" {
		t.Errorf("a member key sees ben's address %q", got)
	}
	s.Do(t, "GET", "/v1/members", s.Key(t, "default", "publisher", ""), nil).WantProblem(t, http.StatusForbidden, "Authorization")
	s.Do(t, "GET", "/v1/members", "", nil).WantProblem(t, http.StatusUnauthorized, "Authorization")
	var pol struct {
		Values    []string
		Allowance struct{ Amount int }
	}
	s.Do(t, "GET", "/v1/policy", s.Key(t, "default", "member", "cara"), nil).Want(t, http.StatusOK).Decode(t, &pol)
	if pol.Allowance.Amount != 10 || len(pol.Values) != 3 {
		t.Errorf("policy read as %+v", pol)
	}
}

// TestPageMetrics: page views are counted by route pattern and status
// class on the engine's /metrics, never by path.
func TestPageMetrics(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ben := s.client(t, "ben", "")
	for _, p := range []string{"/give", "/give", "/team/sales", "/kudos-that-are-not-a-page"} {
		s.get(t, ben, p)
	}
	_, body := s.get(t, http.DefaultClient, "/metrics")
	for _, want := range []string{
		`plaudit_web_requests_total{route="GET /give",status_class="2xx"} 2`,
		`plaudit_web_requests_total{route="GET /team/{team}",status_class="4xx"} 1`,
		`plaudit_web_request_duration_seconds_count{route="GET /give"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "sales") || strings.Contains(body, "kudos-that-are-not") {
		t.Error("/metrics names a path")
	}
}

// TestOnlySessionsSignIn: an API key put in the cookie by hand is not a
// session, and a link of a member who left before using it opens none.
func TestOnlySessionsSignIn(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/me", nil)
	req.AddCookie(&http.Cookie{Name: "plaudit_session", Value: s.Key(t, "default", "member", "ben")})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an API key as the cookie: %s, want 401", res.Status)
	}

	u, _ := url.Parse(s.link(t, "cara", ""))
	s.Do(t, "DELETE", "/v1/members/cara", s.admin, nil).Want(t, http.StatusCreated)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res := s.post(t, c, "/signin", url.Values{"token": {u.Query().Get("token")}}); res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("the link of a member who left: %s, cookies %v", res.Status, res.Cookies())
	}
	for _, k := range s.keys(t) {
		if k.Member == "cara" && k.Session {
			t.Errorf("a session of cara, who left, was kept: %s", k.KeyID)
		}
	}
}
