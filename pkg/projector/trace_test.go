package projector_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// TestApplyContinuesTheTrace: an event appended in a trace is applied
// live in a consumer span, a child of its append; an event appended
// outside any trace is applied without a span, and a rebuild, which
// applies both again, adds none.
func TestApplyContinuesTheTrace(t *testing.T) {
	t.Parallel()
	st := testenv.Store(t, testenv.NATS(t, ""))
	rec := tracingtest.New(t)
	ctx, caller := rec.Tracer("test").Start(context.Background(), "caller")
	for _, c := range []context.Context{ctx, context.Background()} {
		env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), event.KudosGiven{
			Giver: "ana", Recipients: []string{"bo"}, Message: "Thanks for the runbook update", Values: []string{}, Points: 1,
			Visibility: event.Public, Channel: event.ChannelAPI, Period: "day:2026-11-23", Spent: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(c, eventstore.Pending{Event: env}); err != nil {
			t.Fatal(err)
		}
	}
	caller.End()
	cfg := projector.TestConfig(st, t.TempDir(), 0)
	cfg.TracerProvider = rec
	r, _ := projector.StartRunner(t, projector.Tally{}, cfg)
	waitSeq(t, r, st)

	applies := func() (n int, parent trace.SpanContext, kind trace.SpanKind) {
		for _, s := range rec.Spans() {
			if s.Name == "apply tally" {
				n, parent, kind = n+1, s.Parent, s.SpanKind
			}
		}
		return n, parent, kind
	}
	appended, ok := tracingtest.Find(rec.Spans(), "append "+event.TypeKudosGiven, caller.SpanContext())
	if !ok {
		t.Fatalf("no append span:\n%s", tracingtest.Describe(rec.Spans()))
	}
	// The span ends before the batch commits, which waitSeq waited for.
	if n, parent, kind := applies(); n != 1 || parent.SpanID() != appended.SpanContext.SpanID() || kind != trace.SpanKindConsumer {
		t.Fatalf("%d apply spans, the last a %v span under %s; want one consumer span under the append:\n%s",
			n, kind, parent.SpanID(), tracingtest.Describe(rec.Spans()))
	}
	rctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Rebuild(rctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := applies(); n != 1 {
		t.Errorf("%d apply spans after the rebuild, want still 1", n)
	}
}
