package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestMyPage: the preferences form saves through the API and shows its
// refusal; a delivered nudge is acknowledged from the page; a reaction
// from the feed is counted.
func TestMyPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ben := s.client(t, "ben", "")
	csrf := s.csrf(t, ben)

	// Quiet hours that do not hold now, so a nudge is delivered at once.
	now := time.Now().UTC()
	quiet := url.Values{"csrf": {csrf}, "wellness": {"on"}, "quiet": {"own"},
		"quiet_start": {now.Add(2 * time.Hour).Format("15:00")}, "quiet_end": {now.Add(3 * time.Hour).Format("15:00")}}
	if res := s.post(t, ben, "/me/preferences", quiet); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save preferences: %s", res.Status)
	}
	// The directory follows the stream: wait for it to take them.
	var prefs struct {
		QuietHoursFrom string `json:"quiet_hours_from"`
		Nudges         map[string]struct{ Receives bool }
	}
	if !testenv.Within(10*time.Second, func() bool {
		s.Do(t, "GET", "/v1/members/ben/preferences", s.admin, nil).Want(t, http.StatusOK).Decode(t, &prefs)
		return prefs.QuietHoursFrom == "member" && prefs.Nudges["wellness"].Receives
	}) {
		t.Errorf("preferences saved as %+v", prefs)
	}
	bad := url.Values{"csrf": {csrf}, "quiet": {"own"}, "quiet_start": {"25:00"}, "quiet_end": {"07:00"}}
	res, err := postForm(ben, s.URL+"/me/preferences", bad)
	if err != nil {
		t.Fatal(err)
	}
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "quiet_hours") {
		t.Errorf("quiet hours from 25:00: %d, the page does not name the field", res.status)
	}

	// A hard call earns ben a wellness nudge; he acknowledges it.
	s.Do(t, "POST", "/v1/ratings", s.admin, map[string]any{
		"platform": "cxone", "interaction_id": "conv-hard-1", "agent": "ben", "score": 1, "scale": "stars_5",
		"channel": "voice", "handle_time_seconds": 2900, "occurred_at": now.Add(-time.Minute).Format(time.RFC3339),
	}).Want(t, http.StatusCreated)
	ack := regexp.MustCompile(`action="/me/nudges/([^/"]+)/ack"`)
	var id string
	if !testenv.Within(30*time.Second, func() bool {
		_, body := s.get(t, ben, "/me")
		if m := ack.FindStringSubmatch(body); m != nil {
			id = m[1]
		}
		return id != ""
	}) {
		t.Fatal("no nudge to acknowledge on ben's page")
	}
	res2 := s.post(t, ben, "/me/nudges/"+id+"/ack", url.Values{"csrf": {csrf}})
	if loc := res2.Header.Get("Location"); res2.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/me?done=ack&min_seq=") {
		t.Fatalf("acknowledge: %s, to %q", res2.Status, loc)
	}
	// Where the post sends the browser: a page that reflects the ack.
	_, body := s.get(t, ben, res2.Header.Get("Location"))
	if !strings.Contains(body, "Nudge acknowledged") || ack.MatchString(body) {
		t.Errorf("after acknowledging, the page still offers it, or does not say so")
	}
	if res := s.post(t, ben, "/me/nudges/"+id+"/explode", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a nudge action that is not one: %s", res.Status)
	}

	// A reaction from the feed.
	var given struct{ ID string }
	s.Do(t, "POST", "/v1/kudos", s.admin, map[string]any{"from": "cara", "to": []string{"ana"},
		"message": "Ana ran the incident review so calmly that everyone spoke up"}).Want(t, http.StatusCreated).Decode(t, &given)
	react := url.Values{"csrf": {csrf}, "emoji": {"🎉"}, "back": {"/?scope=tenant"}}
	r := s.post(t, ben, "/kudos/"+given.ID+"/react", react)
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/?scope=tenant&min_seq=") {
		t.Fatalf("react: %s, to %q", r.Status, loc)
	}
	_, body = s.get(t, ben, r.Header.Get("Location"))
	if !strings.Contains(body, "🎉 1") {
		t.Errorf("the feed does not count the reaction")
	}
	// The return address never leads off the site.
	react.Set("back", "//evil.example/")
	react.Set("emoji", "👏")
	if r := s.post(t, ben, "/kudos/"+given.ID+"/react", react); !strings.HasPrefix(r.Header.Get("Location"), "/?min_seq=") {
		t.Errorf("react with back=//evil.example/ returned to %q", r.Header.Get("Location"))
	}
}

type answer struct {
	status int
	body   string
}

// postForm posts a form from the page and reads the answer.
func postForm(c *http.Client, u string, form url.Values) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: string(b)}, err
}
