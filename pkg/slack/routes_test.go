package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/slackfake"
	"github.com/plaudit/plaudit/pkg/slack"
)

// TestRoutesVerifyBeforeAnything: every route refuses a request that is
// not signed with the tenant's secret within five minutes, with 401, and
// does nothing: no kudos, no call to Slack.
func TestRoutesVerifyBeforeAnything(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	cmd := w.send.CommandBody("U0ANA", "<@U0BO> for writing the runbook that got us through the outage", "trig-1")
	evt := w.send.ReactionBody("Ev1", false, "U0ANA", "U0BO", "C0OPS", "1700000000.000100", "taco")
	routes := []struct {
		route, contentType string
		body               []byte
	}{
		{"commands", "application/x-www-form-urlencoded", cmd},
		{"events", "application/json", evt},
		{"interactivity", "application/x-www-form-urlencoded", []byte("payload=" + `{"type":"block_actions"}`)},
	}
	stale := w.send
	stale.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	ahead := w.send
	ahead.Now = func() time.Time { return time.Now().Add(6 * time.Minute) }
	other := w.send
	other.Secret = "another-apps-signing-secret"
	cases := []struct {
		name    string
		sender  slackfake.Sender
		headers func(body []byte) map[string]string
	}{
		{"tampered", w.send, func(body []byte) map[string]string {
			ts := time.Now().Unix()
			h := map[string]string{slack.HeaderTimestamp: itoa(ts)}
			h[slack.HeaderSignature] = slackfake.Signature(signingSecret, itoa(ts), append([]byte("x"), body...))
			return h
		}},
		{"wrong secret", other, nil},
		{"replayed: 6 minutes old", stale, nil},
		{"stale: 6 minutes ahead", ahead, nil},
		{"unsigned", w.send, func([]byte) map[string]string { return map[string]string{slack.HeaderSignature: ""} }},
	}
	for _, r := range routes {
		for _, c := range cases {
			var h map[string]string
			if c.headers != nil {
				h = c.headers(r.body)
			}
			resp := w.ok(c.sender.Post(r.route, r.contentType, r.body, h))
			if resp.Status != http.StatusUnauthorized {
				t.Errorf("%s %s: %d %s, want 401", r.route, c.name, resp.Status, resp.Body)
			}
		}
	}
	if k := w.kudos(); len(k) != 0 {
		t.Errorf("kudos given by refused requests: %v", k)
	}
	if calls := w.fake.Calls(""); len(calls) != 0 {
		t.Errorf("refused requests called Slack: %v", calls)
	}
	// The same requests signed are taken.
	if resp := w.ok(w.send.Post("commands", routes[0].contentType, cmd, nil)); resp.Status != http.StatusOK || !strings.HasPrefix(resp.Text(), "You gave") {
		t.Errorf("signed command: %d %s", resp.Status, resp.Body)
	}
}

func itoa(n int64) string { return jsonNumber(n) }

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRoutesRefuse: a tenant without Slack settings is not found (saying
// no more than an unknown route), a body over 64 KiB is too large, and a
// request from another workspace than the tenant's is forbidden.
func TestRoutesRefuse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	nobody := w.send
	nobody.URL = strings.Replace(w.send.URL, "/"+tenant, "/nobody", 1)
	elsewhere := w.send
	elsewhere.Team = "T0OTHER"
	big := make([]byte, slack.MaxBody+1)
	tests := []struct {
		name   string
		send   func() (slackfake.Response, error)
		status int
		kind   string
	}{
		{"unknown tenant", func() (slackfake.Response, error) {
			return nobody.Command("U0ANA", "<@U0BO> for writing the runbook that got us through it", "t1", nil)
		}, http.StatusNotFound, "not-found"},
		{"invalid tenant", func() (slackfake.Response, error) {
			s := w.send
			s.URL = strings.Replace(w.send.URL, "/"+tenant, "/No.Such", 1)
			return s.Command("U0ANA", "<@U0BO> for writing the runbook that got us through it", "t1", nil)
		}, http.StatusNotFound, "not-found"},
		{"body too large", func() (slackfake.Response, error) {
			return w.send.Post("events", "application/json", big, nil)
		}, http.StatusRequestEntityTooLarge, "body-too-large"},
		{"another workspace", func() (slackfake.Response, error) {
			return elsewhere.Command("U0ANA", "<@U0BO> for writing the runbook that got us through it", "t1", nil)
		}, http.StatusForbidden, "forbidden"},
		{"another workspace's reaction", func() (slackfake.Response, error) {
			return elsewhere.Reaction("Ev9", false, "U0ANA", "U0BO", "C0OPS", "1700000000.000100", "taco", nil)
		}, http.StatusForbidden, "forbidden"},
		{"another workspace's click", func() (slackfake.Response, error) {
			return elsewhere.Click("U0ANA", slack.ActionAcknowledge, "n1", "DU0ANA", "1700000000.000100")
		}, http.StatusForbidden, "forbidden"},
		{"no workspace", func() (slackfake.Response, error) {
			body := url.Values{"command": {"/kudos"}, "text": {"<@U0BO> for writing the runbook that got us through it"},
				"user_id": {"U0ANA"}, "trigger_id": {"t2"}}.Encode()
			return w.send.Post("commands", "application/x-www-form-urlencoded", []byte(body), nil)
		}, http.StatusForbidden, "forbidden"},
		{"an event naming no workspace", func() (slackfake.Response, error) {
			return w.send.Post("events", "application/json", []byte(`{"type":"event_callback","event_id":"Ev8","event":{"type":"reaction_added"}}`), nil)
		}, http.StatusForbidden, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.ok(tt.send())
			var p struct{ Type, Detail string }
			_ = json.Unmarshal(r.Body, &p)
			if r.Status != tt.status || !strings.HasSuffix(p.Type, "/"+tt.kind) {
				t.Errorf("%d %s, want %d %s", r.Status, r.Body, tt.status, tt.kind)
			}
			if tt.status == http.StatusNotFound && (!strings.HasPrefix(p.Detail, "no route POST ") || strings.Contains(p.Detail, "configured")) {
				t.Errorf("the refusal says more than it should: %s", r.Body)
			}
		})
	}
	if k := w.kudos(); len(k) != 0 {
		t.Errorf("kudos given by refused requests: %v", k)
	}
}

// TestURLVerification: Slack's check of the events URL is answered with
// its challenge, once signed.
func TestURLVerification(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	r := w.ok(w.send.Post("events", "application/json", body, nil))
	var got struct{ Challenge string }
	_ = json.Unmarshal(r.Body, &got)
	if r.Status != http.StatusOK || got.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("signed challenge: %d %s", r.Status, r.Body)
	}
	unsigned := w.send
	unsigned.Secret = "not-the-signing-secret"
	if r := w.ok(unsigned.Post("events", "application/json", body, nil)); r.Status != http.StatusUnauthorized || strings.Contains(string(r.Body), "3eZbrw") {
		t.Errorf("unsigned challenge: %d %s", r.Status, r.Body)
	}
}

// TestSSLCheck: Slack's check of the command URL's certificate gives
// nothing and is answered 200.
func TestSSLCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	r := w.ok(w.send.Post("commands", "application/x-www-form-urlencoded", []byte("ssl_check=1&token=x"), nil))
	if r.Status != http.StatusOK || len(r.Body) != 0 || len(w.fake.Calls("")) != 0 {
		t.Errorf("ssl_check: %d %s", r.Status, r.Body)
	}
}
