package eventstore_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/tracing"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// TestTraceparentSurvivesTheStream: an event appended under a span is
// stored with the traceparent of its append's span, a child of that span,
// and reads back with it; one appended without a span is stored without
// either attribute; a batch's events all carry the batch's append. An
// event whose envelope came with a traceparent of its own is stored with
// the append's, or with none.
func TestTraceparentSurvivesTheStream(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)
	rec := tracingtest.New(t)

	callerCtx, caller := rec.Tracer("test").Start(ctx, "caller")
	traced, err := st.Append(callerCtx, eventstore.Pending{Event: kudos(t, "ana")})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := st.AppendBatch(callerCtx, []eventstore.Pending{{Event: kudos(t, "bo")}, {Event: kudos(t, "bo")}})
	if err != nil {
		t.Fatal(err)
	}
	caller.End()
	stale := kudos(t, "cy")
	stale.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	untraced, err := st.Append(ctx, eventstore.Pending{Event: stale})
	if err != nil {
		t.Fatal(err)
	}

	spans := rec.Wait(t, 5*time.Second, func(s tracetest.SpanStubs) bool { return len(s) == 3 })
	appendOne, ok := tracingtest.Find(spans, "append "+event.TypeKudosGiven, caller.SpanContext())
	if !ok || appendOne.SpanKind != trace.SpanKindProducer {
		t.Fatalf("no producer span of the append under the caller's:\n%s", tracingtest.Describe(spans))
	}
	appendBatch, ok := tracingtest.Find(spans, "append batch", caller.SpanContext())
	if !ok {
		t.Fatalf("no span of the batch append under the caller's:\n%s", tracingtest.Describe(spans))
	}
	tests := []struct {
		name   string
		seq    uint64
		parent trace.SpanContext // invalid: no traceparent
	}{
		{"appended under a span", traced.Seq, appendOne.SpanContext},
		{"first of a batch", batch[0].Seq, appendBatch.SpanContext},
		{"second of a batch", batch[1].Seq, appendBatch.SpanContext},
		{"appended without a span", untraced.Seq, trace.SpanContext{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.Get(ctx, tt.seq)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.parent.IsValid() {
				want = "00-" + tt.parent.TraceID().String() + "-" + tt.parent.SpanID().String() + "-01"
			}
			if got.TraceParent != want || got.TraceState != "" {
				t.Errorf("traceparent %q, tracestate %q; want traceparent %q and no tracestate", got.TraceParent, got.TraceState, want)
			}
			if !tt.parent.IsValid() {
				return
			}
			// A reader continues the trace from it.
			if sc := trace.SpanContextFromContext(tracing.Continue(ctx, got.Envelope)); sc.TraceID() != tt.parent.TraceID() || sc.SpanID() != tt.parent.SpanID() || !sc.IsRemote() {
				t.Errorf("Continue gives %v, want the remote parent %v", sc, tt.parent)
			}
		})
	}
}
