package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/projections/feed"
)

// wantMetrics fails the test unless each series in want has its value.
func wantMetrics(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
}

// natsGive gives kudos over the NATS command service of tenant acme with key.
func natsGive(t *testing.T, e *enginetest.Engine, key string, body map[string]any) int {
	t.Helper()
	m := nats.NewMsg(natsauth.CommandSubject("acme", apiv1.OpGiveKudos))
	m.Data, _ = json.Marshal(body)
	m.Header.Set(api.HeaderAuthorization, "Bearer "+key)
	reply, err := e.Conn().RequestMsg(m, 10*time.Second)
	if err != nil {
		t.Fatalf("nats give: %v", err)
	}
	status, err := strconv.Atoi(reply.Header.Get(api.HeaderStatus))
	if err != nil {
		t.Fatalf("nats give: status %q", reply.Header.Get(api.HeaderStatus))
	}
	return status
}

// TestRefusedGivesCountTheirReason: a give refused over HTTP or NATS is
// counted once under its operation and the rule it broke (an overspend
// under allowance, "great job" under generic_message, a giver among the
// recipients under self, no key under unauthenticated), and every request
// under its route or operation, status class and the key's role; a refusal
// replayed for its Idempotency-Key counts nothing more.
func TestRefusedGivesCountTheirReason(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
	)
	// A message is checked for its length before it is checked for
	// generic praise: a minimum of 5 lets "great job" meet the second.
	e.Do(t, "PUT", "/v1/policy", admin, `{"allowance":{"amount":5,"period":"day"},"message_rules":{"min_length":5}}`).Want(t, http.StatusCreated)
	ana := e.Key(t, "acme", auth.Member, "ana")
	give := func(fields map[string]any) map[string]any {
		b := map[string]any{"to": []string{"bo"}, "points": 1, "message": "Thanks for rewriting the refund runbook after the outage"}
		for k, v := range fields {
			b[k] = v
		}
		return b
	}
	e.Do(t, "POST", "/v1/kudos", ana, give(nil)).Want(t, http.StatusCreated)
	// The default allowance is 5 points a day: 1 is spent.
	overspend := give(map[string]any{"points": 5})
	e.Do(t, "POST", "/v1/kudos", ana, overspend).WantProblem(t, http.StatusUnprocessableEntity, "points")
	replay := map[string]string{"Idempotency-Key": "overspend-1"}
	for range 2 {
		r := e.DoWith(t, "POST", "/v1/kudos", ana, overspend, replay)
		r.WantProblem(t, http.StatusUnprocessableEntity, "points")
	}
	e.Do(t, "POST", "/v1/kudos", ana, give(map[string]any{"message": "great job"})).WantProblem(t, http.StatusUnprocessableEntity, "message")
	e.Do(t, "POST", "/v1/kudos", ana, give(map[string]any{"to": []string{"bo", "ana"}})).WantProblem(t, http.StatusUnprocessableEntity, "to")
	e.Do(t, "POST", "/v1/kudos", "", give(nil)).WantProblem(t, http.StatusUnauthorized, "Authorization")
	if s := natsGive(t, e, ana, give(map[string]any{"message": "Great job!"})); s != http.StatusUnprocessableEntity {
		t.Errorf("nats give of generic praise: status %d", s)
	}

	m := e.Metrics(t)
	wantMetrics(t, m, map[string]float64{
		`plaudit_api_operations_refused_total{operation="kudos.give",reason="allowance"}`:       2,
		`plaudit_api_operations_refused_total{operation="kudos.give",reason="generic_message"}`: 2,
		`plaudit_api_operations_refused_total{operation="kudos.give",reason="self"}`:            1,
		`plaudit_api_operations_refused_total{operation="kudos.give",reason="unauthenticated"}`: 1,

		`plaudit_api_requests_total{role="member",route="POST /v1/kudos",status_class="2xx",transport="http"}`:      1,
		`plaudit_api_requests_total{role="member",route="POST /v1/kudos",status_class="4xx",transport="http"}`:      5,
		`plaudit_api_requests_total{role="none",route="POST /v1/kudos",status_class="4xx",transport="http"}`:        1,
		`plaudit_api_requests_total{role="member",route="kudos.give",status_class="4xx",transport="nats"}`:          1,
		`plaudit_api_requests_total{role="admin",route="PUT /v1/members/{id}",status_class="2xx",transport="http"}`: 2,

		`plaudit_api_request_duration_seconds_count{route="POST /v1/kudos",transport="http"}`: 7,
		`plaudit_api_request_duration_seconds_count{route="kudos.give",transport="nats"}`:     1,
		`plaudit_api_requests_in_flight{transport="http"}`:                                    0,
		`plaudit_api_requests_in_flight{transport="nats"}`:                                    0,
	})
	for series := range m {
		if strings.Contains(series, "tenant=") || strings.Contains(series, `"ana"`) || strings.Contains(series, "/v1/members/ana") {
			t.Errorf("series %s names a tenant, a member or a raw path", series)
		}
	}
}

// TestMetricsTenantLabel: with MetricsTenantLabel the request counter, and
// only it, carries the key's tenant ("none" without a key).
func TestMetricsTenantLabel(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{MetricsTenantLabel: true})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin, enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"})
	e.Do(t, "GET", "/v1/keys", "", nil).WantProblem(t, http.StatusUnauthorized, "Authorization")
	m := e.Metrics(t)
	wantMetrics(t, m, map[string]float64{
		`plaudit_api_requests_total{role="admin",route="PUT /v1/members/{id}",status_class="2xx",tenant="acme",transport="http"}`: 1,
		`plaudit_api_requests_total{role="none",route="GET /v1/keys",status_class="4xx",tenant="none",transport="http"}`:          1,
	})
	for series := range m {
		if strings.Contains(series, "tenant=") && !strings.HasPrefix(series, "plaudit_api_requests_total{") {
			t.Errorf("%s carries the tenant", series)
		}
	}
}

// TestHealthMetrics: /metrics reads the NATS connection, the stream, the
// projections' consumers and the integrations' relays and dead letters
// from JetStream, at most every few seconds.
func TestHealthMetrics(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{Modules: []projector.Module{feed.Module()}})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin, enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"})
	e.CaughtUp(t, 10*time.Second)
	state := enginetest.StreamState(t, e.Engine)
	waitUntil(t, 15*time.Second, func() bool {
		m := e.Metrics(t)
		return m["plaudit_stream_last_seq"] == float64(state.LastSeq) && m[`plaudit_projection_consumer_pending_events{projection="feed"}`] == 0
	})
	m := e.Metrics(t)
	wantMetrics(t, m, map[string]float64{
		"plaudit_nats_connected":        1,
		"plaudit_nats_reconnects_total": 0,
		"plaudit_stream_messages":       float64(state.Msgs),
		"plaudit_stream_bytes":          float64(state.Bytes),
		`plaudit_projection_consumer_ack_pending_events{projection="feed"}`: 0,
		`plaudit_projection_consumer_redelivered_events{projection="feed"}`: 0,
		// No integration is configured, and each is reported all the same.
		`plaudit_integration_relays{integration="webhook"}`:           0,
		`plaudit_integration_dead_letters{integration="webhook"}`:     0,
		`plaudit_eventstore_publish_errors_total{kind="unavailable"}`: 0,
	})

	// Dead letters count under the integration their relay belongs to;
	// those of a relay of no integration do not count.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dead, err := relay.OpenDeadLetters(ctx, e.Store.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []string{"webhook_w1", "webhook_w2", "somethingelse_x"} {
		if err := dead.Add(ctx, relay.DeadLetter{Tenant: "acme", Relay: r, Seq: uint64(i + 1), EventID: "e"}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 15*time.Second, func() bool {
		return e.Metrics(t)[`plaudit_integration_dead_letters{integration="webhook"}`] == 2
	})
	for series := range e.Metrics(t) {
		if strings.Contains(series, "somethingelse") {
			t.Errorf("%s: a relay of no integration counted", series)
		}
	}
}
