package api_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/rules"
)

// TestHealthAndAuthentication: the probes answer without a key; every v1
// route refuses a request without one, or with an unknown one.
func TestHealthAndAuthentication(t *testing.T) {
	t.Parallel()
	e := startEngine(t, engine.Config{})
	for _, path := range []string{"/healthz", "/readyz"} {
		r := do(t, e, "GET", path, "", nil, nil)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %s", path, r)
		}
	}
	id := uuid.NewString()
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/kudos", `{}`},
		{"POST", "/v1/kudos/" + id + "/reactions", `{}`},
		{"DELETE", "/v1/kudos/" + id, `{}`},
		{"POST", "/v1/ratings", `{}`},
		{"PUT", "/v1/members/ana", `{}`},
		{"DELETE", "/v1/members/ana", ``},
		{"PUT", "/v1/policy", `{}`},
		{"POST", "/v1/boosts", `{}`},
		{"POST", "/v1/keys", `{}`},
		{"GET", "/v1/stream", ``},
		{"GET", "/v1/stream?after=0", ``},
	}
	before := streamLen(t, e)
	for _, rt := range routes {
		for _, key := range []string{"", "plk_unknown-key-0123456789"} {
			wantProblem(t, do(t, e, rt.method, rt.path, key, rt.body, nil), http.StatusUnauthorized, "Authorization")
		}
	}
	wantProblem(t, do(t, e, "GET", "/v1/nothing", testBootstrapKey, nil, nil), http.StatusNotFound, "")
	if streamLen(t, e) != before {
		t.Error("unauthenticated requests grew the stream")
	}
}

// TestConcurrentRetries sends the same request with the same
// Idempotency-Key 20 times at once: it is carried out once; every other
// answer is the same or a 409 asking to retry.
func TestConcurrentRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	before := streamLen(t, f.e)
	const n = 20
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = doAsync(t, f.e, "POST", "/v1/kudos", f.keys["ana"],
				map[string]any{"to": []string{"bo", "cy"}, "message": specific}, idem("storm"))
		})
	}
	wg.Wait()
	var first []byte
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			if first == nil {
				first = r.Body
			} else if !bytes.Equal(first, r.Body) {
				t.Errorf("answers differ:\n%s\n%s", first, r.Body)
			}
		case http.StatusConflict:
			wantProblem(t, r, http.StatusConflict, "Idempotency-Key")
		default:
			t.Errorf("unexpected answer %s", r)
		}
	}
	if got := streamLen(t, f.e) - before; got != 1 {
		t.Errorf("stream grew by %d, want 1", got)
	}
	// Once done, the answer is replayed.
	if r := f.do(t, "POST", "/v1/kudos", f.keys["ana"], map[string]any{"to": []string{"bo", "cy"}, "message": specific}, idem("storm")); first != nil && !bytes.Equal(r.Body, first) {
		t.Errorf("replay %s, want %s", r.Body, first)
	}
}

// TestEveryEventType appends every event type, in its optional shapes, so
// that the stream check at the end of the test validates each against its
// schema; it also shows that boosts raise the allowance.
func TestEveryEventType(t *testing.T) {
	t.Parallel()
	// Noon in Lisbon: "today" is the same date there as in UTC.
	f := newFixture(t, newClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		engine.Config{Modules: []projector.Module{rules.Module()}})
	today := f.now().Format(time.DateOnly)
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/boosts", f.admin,
		map[string]any{"member": "ana", "points": 3, "from": today, "to": today, "reason": "launch week"}, nil))
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/boosts", f.admin,
		map[string]any{"team": "sales", "points": 1, "from": today, "to": today}, nil))
	given := f.give(t, f.keys["ana"], http.StatusCreated, map[string]any{"to": []string{"bo", "cy", "dee"}, "points": 2, "values": []string{}}, nil)
	r := f.give(t, f.keys["ana"], http.StatusUnprocessableEntity, map[string]any{"points": 3}, nil)
	if a, _ := r.JSON["allowance"].(map[string]any); a["limit"] != 8.0 || a["remaining"] != 2.0 {
		t.Errorf("boosted allowance: %s", r.Body)
	}
	must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/kudos/"+given.Str("id"), f.admin, `{"reason":"posted in the wrong channel"}`, nil))
	r = f.give(t, f.keys["ana"], http.StatusCreated, map[string]any{"points": 8}, nil)
	rating := f.rating("dee", "nps-1")
	rating["scale"], rating["score"], rating["channel"] = "nps_10", 0, "email"
	delete(rating, "comment")
	rated := must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], rating, nil))
	f.give(t, f.keys["integration"], http.StatusCreated, map[string]any{
		"from": "bo", "to": []string{"dee"}, "channel": "rule",
		"cause": map[string]any{"event_id": rated.Str("id"), "type": "plaudit.feedback.rating_received.v1"},
	}, nil)
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/kudos/"+r.Str("id")+"/reactions", f.keys["bo"], `{"emoji":":tada:"}`, nil))
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/fay", f.keys["integration"],
		`{"name":"  Fay Okafor ","team":"sales","manager":"dee","time_zone":"Asia/Kolkata","active":false}`, nil))
	must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/members/fay", f.keys["integration"], nil, nil))
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/policy", f.admin,
		`{"allowance":{"amount":20,"period":"week"},"values":[],"message_rules":{"min_length":10,"reject_generic":false},
		  "rules":{"gap_days":10},"nudges":{"wellness":"opt_out","quiet_hours":{"start":"22:00","end":"06:30"}}}`, nil))

	// Ratings corrected and withdrawn; preferences; two wellness nudges
	// (a hard call, a long one), one acknowledged, one dismissed.
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/bo/preferences", f.keys["bo"],
		`{"nudges":{"wellness":"on","giving":"off"},"quiet_hours":{"start":"23:00","end":"07:00"}}`, nil))
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/cy/preferences", f.keys["cy"], `{"nudges":{}}`, nil))
	fresh := f.now().Add(-time.Minute).UTC().Format(time.RFC3339)
	hard := f.rating("bo", "hard-1")
	hard["score"], hard["occurred_at"] = 1, fresh
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], hard, nil))
	long := f.rating("bo", "long-1")
	long["score"], long["handle_time_seconds"], long["occurred_at"] = 4, 3600, fresh
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], long, nil))
	correction := f.rating("bo", "long-1")
	delete(correction, "platform")
	delete(correction, "interaction_id")
	correction["score"], correction["handle_time_seconds"], correction["reason"] = 5, 3600, "survey edited"
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/ratings/cxone/long-1", f.keys["publisher"], correction, nil))
	must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/ratings/cxone/nps-1", f.keys["publisher"], `{"reason":"wrong customer"}`, nil))
	var nudges []any
	deadline := time.Now().Add(10 * time.Second)
	for len(nudges) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		nudges, _ = must(t, http.StatusOK, f.do(t, "GET", "/v1/members/bo/nudges", f.keys["bo"], nil, nil)).JSON["nudges"].([]any)
	}
	if len(nudges) != 2 {
		t.Fatalf("bo has %d nudges, want 2", len(nudges))
	}
	first, _ := nudges[0].(map[string]any)
	second, _ := nudges[1].(map[string]any)
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/nudges/"+first["id"].(string)+"/ack", f.keys["bo"], nil, nil))
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/nudges/"+second["id"].(string)+"/dismiss", f.keys["integration"], `{"member":"bo"}`, nil))

	// A nudge deferred by quiet hours (11:00–13:00 in Lisbon), whose member
	// leaves before they end, is cancelled when it falls due.
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/cy/preferences", f.keys["cy"],
		`{"nudges":{"wellness":"on"},"quiet_hours":{"start":"11:00","end":"13:00"}}`, nil))
	hardCy := f.rating("cy", "hard-2")
	hardCy["score"], hardCy["occurred_at"] = 1, fresh
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], hardCy, nil))
	deadline = time.Now().Add(10 * time.Second)
	for len(nudges) == 0 || nudges[0].(map[string]any)["state"] != "pending" {
		if time.Now().After(deadline) {
			t.Fatalf("cy's nudge: %v", nudges)
		}
		time.Sleep(20 * time.Millisecond)
		nudges, _ = must(t, http.StatusOK, f.do(t, "GET", "/v1/members/cy/nudges", f.keys["cy"], nil, nil)).JSON["nudges"].([]any)
	}
	must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/members/cy", f.admin, nil, nil))
	f.clock.Set(time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC))
	for nudges[0].(map[string]any)["state"] != "cancelled" {
		if time.Now().After(deadline) {
			t.Fatalf("cy's nudge after cy left: %v", nudges)
		}
		time.Sleep(20 * time.Millisecond)
		nudges, _ = must(t, http.StatusOK, f.do(t, "GET", "/v1/members/cy/nudges", f.admin, nil, nil)).JSON["nudges"].([]any)
	}
	if why := nudges[0].(map[string]any)["cancel_reason"]; why != "member_left" {
		t.Errorf("cancelled because %v", why)
	}

	seen := map[string]bool{}
	for _, m := range streamMessages(t, f.e) {
		if env, err := event.Parse(m.Data); err == nil {
			seen[env.Type] = true
		}
	}
	for _, typ := range event.Types() {
		if !event.Current(typ) {
			continue // an older version, read but no longer written
		}
		if !seen[typ] {
			t.Errorf("no %s in the stream", typ)
		}
	}
}
