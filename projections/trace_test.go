package projections_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
	"github.com/plaudit/plaudit/projections/rules"
)

// TestRatingIsOneTrace: a 5-star rating posted over HTTP is one trace, from
// the request to the read models: the request's span; the operation; the
// append of the rating; the apply of it by each projection that takes
// ratings (density, rules); the rules engine's command giving the kudos the
// rating earned, and its append; and the apply of the kudos by each
// projection that takes kudos (feed, allowance, density). Each is the child
// of the one before, and the kudos stored carries a traceparent in the
// rating's trace.
func TestRatingIsOneTrace(t *testing.T) {
	t.Parallel()
	rec := tracingtest.New(t)
	e := enginetest.Start(t, engine.Config{Modules: append(modules(), rules.Module()), TracerProvider: rec})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin, enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"})
	publisher := e.Key(t, "acme", auth.Publisher, "")
	rating := e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{
		"platform": "cxone", "interaction_id": "call-7", "agent": "bo", "score": 5, "scale": "stars_5",
		"channel": "voice", "handle_time_seconds": 200, "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
	}).Want(t, http.StatusCreated).Str("id")

	var got map[string]tracetest.SpanStub
	rec.Wait(t, 20*time.Second, func(spans tracetest.SpanStubs) bool {
		got = ratingTrace(spans, rating)
		return got != nil
	})
	root := got["request"]
	for name, s := range got {
		if s.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("%s (%s) is in trace %s, not the request's %s", name, s.Name, s.SpanContext.TraceID(), root.SpanContext.TraceID())
		}
	}
	if root.SpanKind != trace.SpanKindServer {
		t.Errorf("the request's span is a %v span", root.SpanKind)
	}

	// The kudos as stored carries the trace: a consumer of the stream
	// continues it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last, err := e.Store.Last(ctx, event.KudosSubject("acme", "customer-cxone", "given"))
	if err != nil {
		t.Fatal(err)
	}
	want := "00-" + root.SpanContext.TraceID().String() + "-" + got["kudos append"].SpanContext.SpanID().String() + "-01"
	if last.TraceParent != want {
		t.Errorf("the kudos carries traceparent %q, want %q (its append in the rating's trace)", last.TraceParent, want)
	}
}

// ratingTrace finds, in spans, the trace of the rating event ratingID, each
// span by its role; nil until every one has ended.
func ratingTrace(spans tracetest.SpanStubs, ratingID string) map[string]tracetest.SpanStub {
	out := map[string]tracetest.SpanStub{}
	var appendRating tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "append "+event.TypeRatingReceived && slices.ContainsFunc(s.Attributes, func(a attribute.KeyValue) bool {
			return string(a.Key) == "messaging.message.id" && a.Value.AsString() == ratingID
		}) {
			appendRating = s
		}
	}
	if !appendRating.SpanContext.IsValid() {
		return nil
	}
	out["rating append"] = appendRating
	// Upwards: the operation, then the request, the root.
	op, ok := tracingtest.ByID(spans, appendRating.Parent)
	if !ok || op.Name != apiv1.OpRecordRating {
		return nil
	}
	out["operation"] = op
	req, ok := tracingtest.ByID(spans, op.Parent)
	if !ok || req.Name != "POST /v1/ratings" || req.Parent.IsValid() {
		return nil
	}
	out["request"] = req
	// Downwards.
	steps := []struct {
		role, name, parent string
	}{
		{"density applies the rating", "apply density", "rating append"},
		{"rules applies the rating", "apply rules", "rating append"},
		{"kudos command", "command rating_kudos.give", "rules applies the rating"},
		{"kudos append", "append " + event.TypeKudosGiven, "kudos command"},
		{"feed applies the kudos", "apply feed", "kudos append"},
		{"allowance applies the kudos", "apply allowance", "kudos append"},
		{"density applies the kudos", "apply density", "kudos append"},
	}
	for _, st := range steps {
		s, ok := tracingtest.Find(spans, st.name, out[st.parent].SpanContext)
		if !ok {
			return nil
		}
		out[st.role] = s
	}
	return out
}
