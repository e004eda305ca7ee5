package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// TestLogHandlerAddsTraceIDs: a line logged with a ctx holding a span has
// its trace_id and span_id, also through a logger With attributes; a line
// without one has neither; the record the caller made is left as it was.
func TestLogHandlerAddsTraceIDs(t *testing.T) {
	t.Parallel()
	rec := tracingtest.New(t)
	var out bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&out, nil))).With("component", "api")
	ctx, span := rec.Tracer("test").Start(context.Background(), "request")
	defer span.End()

	log.InfoContext(ctx, "in a request", "op", "kudos.give")
	log.Info("no ctx")
	log.InfoContext(context.Background(), "outside any trace")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", out.String())
	}
	for i, want := range []map[string]string{
		{"msg": "in a request", "component": "api", "op": "kudos.give",
			tracing.LogTraceID: span.SpanContext().TraceID().String(), tracing.LogSpanID: span.SpanContext().SpanID().String()},
		{"msg": "no ctx", "component": "api"},
		{"msg": "outside any trace", "component": "api"},
	} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, lines[i])
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %q", i, k, got[k], v)
			}
		}
		if _, traced := want[tracing.LogTraceID]; !traced {
			if _, ok := got[tracing.LogTraceID]; ok {
				t.Errorf("line %d has a trace_id: %s", i, lines[i])
			}
			if _, ok := got[tracing.LogSpanID]; ok {
				t.Errorf("line %d has a span_id: %s", i, lines[i])
			}
		}
	}

	// The record handed in is not written to: a record with room to spare
	// behind its attributes, added one at a time, shares that room with
	// its copies, and slog reports a copy written to without Clone when
	// the original is added to after.
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "shared", 0)
	for i := range 10 {
		r.AddAttrs(slog.Int("a", i))
	}
	if err := tracing.LogHandler(slog.DiscardHandler).Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.AddAttrs(slog.String("after", "handle"))
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "!BUG" {
			t.Errorf("the handler wrote into the caller's record: %v", a.Value)
		}
		return true
	})
}

// TestStampAndStartEvent: an envelope stamped in a span carries it, and a
// handler's span for the event is a consumer child of it; an envelope
// stamped outside a span, or in one whose trace is not sampled, carries
// nothing, and handling it starts no span, nor does a nil provider.
func TestStampAndStartEvent(t *testing.T) {
	t.Parallel()
	rec := tracingtest.New(t)
	env, err := event.New("acme", "01a207c7-d870-7dfc-af0c-706a8b43b1ca", time.Now(), event.MemberLeft{Member: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, producer := rec.Tracer("test").Start(context.Background(), "append")
	tracing.Stamp(ctx, &env)
	producer.End()
	if !strings.Contains(env.TraceParent, producer.SpanContext().SpanID().String()) {
		t.Fatalf("stamped traceparent %q does not name the span %s", env.TraceParent, producer.SpanContext().SpanID())
	}
	_, span := tracing.StartEvent(context.Background(), rec, "apply feed", env)
	span.End()
	spans := rec.Wait(t, 5*time.Second, func(s tracetest.SpanStubs) bool { return len(s) == 2 })
	got, ok := tracingtest.Find(spans, "apply feed", producer.SpanContext())
	if !ok || got.SpanKind != trace.SpanKindConsumer {
		t.Fatalf("no consumer span under the append:\n%s", tracingtest.Describe(spans))
	}

	stamped := env
	// A trace the sampler did not pick goes no further than its root: no
	// child, no traceparent.
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	uctx, root := unsampled.Tracer("test").Start(context.Background(), "request")
	defer root.End()
	if !root.SpanContext().IsValid() || root.SpanContext().IsSampled() {
		t.Fatalf("the root is %v, want valid and not sampled", root.SpanContext())
	}
	if cctx, child := tracing.Child(uctx, "append"); child.SpanContext().IsValid() || cctx != uctx {
		t.Errorf("a child of a span not sampled was started: %v", child.SpanContext())
	}
	for name, ctx := range map[string]context.Context{"outside a span": context.Background(), "in a span not sampled": uctx} {
		env := stamped
		tracing.Stamp(ctx, &env)
		if env.TraceParent != "" || env.TraceState != "" {
			t.Errorf("stamped %s: traceparent %q, tracestate %q", name, env.TraceParent, env.TraceState)
		}
	}
	tracing.Stamp(context.Background(), &env)
	for name, c := range map[string]struct {
		tp  trace.TracerProvider
		env event.Envelope
	}{"no traceparent": {rec, env}, "no provider": {nil, stamped}} {
		ctx, span := tracing.StartEvent(context.Background(), c.tp, "apply feed", c.env)
		if span.SpanContext().IsValid() || trace.SpanContextFromContext(ctx).IsValid() {
			t.Errorf("%s: a span was started", name)
		}
		span.End()
	}
	if n := len(rec.Spans()); n != 2 {
		t.Errorf("%d spans ended, want the 2 above", n)
	}
}
