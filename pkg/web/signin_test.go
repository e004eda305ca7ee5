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
