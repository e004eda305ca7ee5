package projector

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plaudit/plaudit/pkg/tracing"
)

// traceApply starts the span of applying ev live: a child of the append
// that stored ev (its traceparent), so that each projection's apply of an
// event sits in the trace of the request that made it, and what a process
// manager appends from Apply's ctx (the rules engine's kudos) continues
// that trace.
//
// A span per event rather than one per batch: a batch holds events of
// many traces, and a batch span could only link to them, leaving every
// trace without its projections. The cost stays with the traced events:
// an event without a traceparent (most of a catch-up, everything appended
// with tracing off) costs a string comparison, one whose trace was not
// sampled a span that records nothing. A rebuild (live false) traces
// nothing: it would add spans to old traces by the thousand.
func (r *Runner) traceApply(ctx context.Context, ev Event, live bool) (context.Context, trace.Span) {
	if !live || r.cfg.TracerProvider == nil || ev.TraceParent == "" {
		return ctx, noop.Span{}
	}
	return tracing.StartEvent(ctx, r.cfg.TracerProvider, "apply "+r.p.Name(), ev.Envelope,
		attribute.String("plaudit.projection", r.p.Name()), tracing.AttrDestination.String(ev.Subject), tracing.AttrStreamSeq.Int64(int64(ev.Seq)))
}
