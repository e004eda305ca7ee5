// Package tracingtest records the spans of a test in memory, every one
// sampled, and waits for the spans a test expects. It is for tests only.
package tracingtest

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Recorder is a tracer provider that records every span, exported as it
// ends.
type Recorder struct {
	*sdktrace.TracerProvider
	exp   *tracetest.InMemoryExporter
	ended chan struct{}
}

// New returns a Recorder, shut down when the test ends.
func New(tb testing.TB) *Recorder {
	tb.Helper()
	r := &Recorder{exp: tracetest.NewInMemoryExporter(), ended: make(chan struct{}, 1)}
	r.TracerProvider = sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSyncer(r.exp),
		// After the syncer: a span is exported when Wait hears of it.
		sdktrace.WithSpanProcessor(signal{r.ended}),
	)
	tb.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

// Spans are the spans ended so far.
func (r *Recorder) Spans() tracetest.SpanStubs { return r.exp.GetSpans() }

// Wait waits until done holds of the spans ended so far, and returns
// them; the test fails when it does not hold within timeout.
func (r *Recorder) Wait(tb testing.TB, timeout time.Duration, done func(tracetest.SpanStubs) bool) tracetest.SpanStubs {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		spans := r.Spans()
		if done(spans) {
			return spans
		}
		select {
		case <-r.ended:
		case <-deadline.C:
			tb.Fatalf("the spans expected did not end within %v; ended:\n%s", timeout, Describe(spans))
		}
	}
}

// Describe lists spans, one a line: name, trace, span and parent ids.
func Describe(spans tracetest.SpanStubs) string {
	var out string
	for _, s := range spans {
		out += s.Name + " trace=" + s.SpanContext.TraceID().String() + " span=" + s.SpanContext.SpanID().String() +
			" parent=" + s.Parent.SpanID().String() + "\n"
	}
	return out
}

// Find returns the first span named name whose parent is parent (any
// parent when parent is not valid), and whether there is one.
func Find(spans tracetest.SpanStubs, name string, parent trace.SpanContext) (tracetest.SpanStub, bool) {
	for _, s := range spans {
		if s.Name == name && (!parent.IsValid() || s.Parent.SpanID() == parent.SpanID() && s.Parent.TraceID() == parent.TraceID()) {
			return s, true
		}
	}
	return tracetest.SpanStub{}, false
}

// ByID returns the span of spans whose context is sc, and whether there
// is one.
func ByID(spans tracetest.SpanStubs, sc trace.SpanContext) (tracetest.SpanStub, bool) {
	for _, s := range spans {
		if s.SpanContext.SpanID() == sc.SpanID() && s.SpanContext.TraceID() == sc.TraceID() {
			return s, true
		}
	}
	return tracetest.SpanStub{}, false
}

// signal tells a waiting Wait that a span ended.
type signal struct{ ended chan struct{} }

func (s signal) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (s signal) OnEnd(sdktrace.ReadOnlySpan) {
	select {
	case s.ended <- struct{}{}:
	default: // a signal is pending already
	}
}

func (s signal) Shutdown(context.Context) error   { return nil }
func (s signal) ForceFlush(context.Context) error { return nil }
