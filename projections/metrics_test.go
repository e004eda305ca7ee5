package projections_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// TestMetricsAfterAScenario: after a scenario with a poison message on a
// kudos subject, /metrics shows for each projection its last applied
// sequence (the stream's last), no lag, the events it applied, the one it
// dead-lettered and its batch latencies.
func TestMetricsAfterAScenario(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{Modules: modules()})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "cy", Team: "sales", TimeZone: "Asia/Tokyo"},
	)
	e.Do(t, "PUT", "/v1/policy", admin, `{"allowance":{"amount":50,"period":"week"}}`).Want(t, http.StatusCreated)
	e.Do(t, "POST", "/v1/boosts", admin, map[string]any{"member": "ana", "points": 5, "from": "2026-01-01", "to": "2026-12-31"}).Want(t, http.StatusCreated)
	var ids []string
	for _, to := range [][]string{{"bo"}, {"bo", "cy"}, {"ana"}} {
		from := "ana"
		if to[0] == "ana" {
			from = "cy"
		}
		r := e.Do(t, "POST", "/v1/kudos", admin, map[string]any{
			"from": from, "to": to, "points": 2, "message": "Thanks for the calm handover notes on the outage call",
		}).Want(t, http.StatusCreated)
		ids = append(ids, r.Str("id"))
	}
	e.Do(t, "POST", "/v1/kudos/"+ids[0]+"/reactions", admin, map[string]any{"from": "cy", "emoji": "🎉"}).Want(t, http.StatusCreated)
	e.Do(t, "POST", "/v1/kudos/"+ids[1]+"/reactions", admin, map[string]any{"from": "bo", "emoji": "🙏"}).Want(t, http.StatusCreated)
	e.Do(t, "DELETE", "/v1/kudos/"+ids[2], admin, map[string]any{"reason": "meant for someone else"}).Want(t, http.StatusCreated)
	publisher := e.Key(t, "acme", auth.Publisher, "")
	e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{
		"platform": "cxone", "interaction_id": "call-1", "agent": "bo", "score": 5, "scale": "stars_5",
		"channel": "voice", "handle_time_seconds": 200, "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
	}).Want(t, http.StatusCreated)
	// A raw malformed message straight onto a kudos subject: every
	// projection takes kudos, every one dead-letters it.
	poison, err := e.Store.JetStream().Publish(context.Background(), event.KudosSubject("acme", "ana", "given"), []byte(`{"not":"an event"}`))
	if err != nil {
		t.Fatal(err)
	}
	e.CaughtUp(t, 10*time.Second)
	last := float64(e.StreamLastSeq(t))

	// feed: 3 members, 3 kudos, 2 reactions, 1 retraction.
	// allowance: 3 members, the policy, the boost, 3 kudos, 1 retraction.
	// density: 3 members, 3 kudos, 1 retraction, the rating.
	want := map[string]float64{"feed": 9, "allowance": 9, "density": 8}
	m := e.Metrics(t)
	for name, applied := range want {
		l := `{projection="` + name + `"}`
		checks := []struct {
			metric string
			want   float64
		}{
			{"plaudit_projection_last_applied_seq", last},
			{"plaudit_projection_lag_events", 0},
			{"plaudit_projection_events_applied_total", applied},
			{"plaudit_projection_dead_lettered_total", 1},
		}
		for _, c := range checks {
			if got, ok := m[c.metric+l]; !ok || got != c.want {
				t.Errorf("%s%s = %v (present %v), want %v", c.metric, l, got, ok, c.want)
			}
		}
		if n := m["plaudit_projection_batch_apply_seconds_count"+l]; n < 1 {
			t.Errorf("batch_apply_seconds_count%s = %v", l, n)
		}
		if s, ok := m["plaudit_projection_batch_apply_seconds_sum"+l]; !ok || s <= 0 {
			t.Errorf("batch_apply_seconds_sum%s = %v", l, s)
		}
		// The poison message is on the projection's dead-letter subject,
		// with its reason and where it was.
		dlq, err := e.Store.JetStream().Stream(context.Background(), projector.DeadLetterStream)
		if err != nil {
			t.Fatal(err)
		}
		dl, err := dlq.GetLastMsgForSubject(context.Background(), projector.DeadLetterSubject(name))
		if err != nil {
			t.Fatalf("%s: no dead letter: %v", name, err)
		}
		if dl.Header.Get(projector.HeaderStreamSeq) != strconv.FormatUint(poison.Sequence, 10) ||
			!strings.Contains(dl.Header.Get(projector.HeaderReason), "malformed") || string(dl.Data) != `{"not":"an event"}` {
			t.Errorf("%s: dead letter %v %q", name, dl.Header, dl.Data)
		}
		// The store's own counts agree with the metrics.
		s, err := e.Runners[name].Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if float64(s.Applied) != applied || s.DeadLettered != 1 || float64(s.LastSeq) != last || s.Lag != 0 {
			t.Errorf("%s status %+v", name, s)
		}
	}
	// GET /v1/projections reports the same to the operator's admin; a
	// tenant's own admin may not see across tenants.
	e.Do(t, "GET", "/v1/projections", admin, nil).Want(t, http.StatusForbidden)
	operator := e.Key(t, auth.BootstrapTenant, auth.Admin, "")
	var list struct{ Projections []projector.Status }
	e.Do(t, "GET", "/v1/projections", operator, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Projections) != len(want) {
		t.Fatalf("projections %+v", list)
	}
	for _, s := range list.Projections {
		if float64(s.Applied) != want[s.Name] || s.DeadLettered != 1 || float64(s.LastSeq) != last || s.Rebuilding {
			t.Errorf("GET /v1/projections: %+v", s)
		}
	}
}
