package eventstore

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// traceAppend starts the span of an append of n events, first the first
// of them: a producer span, a child of the span in ctx, whose context
// each event of the append carries (tracing.Stamp), so that whoever
// handles an event continues the trace from its append. Without a span in
// ctx, or one of a trace not sampled, it starts none, and the events carry
// no trace (tracing.Child).
func traceAppend(ctx context.Context, first event.Envelope, n int) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return ctx, noop.Span{}
	}
	name := "append " + first.Type
	if n > 1 {
		name = "append batch"
	}
	ctx, span := tracing.Child(ctx, name, trace.WithSpanKind(trace.SpanKindProducer))
	if span.IsRecording() {
		span.SetAttributes(tracing.EventAttrs(first)...)
		if n > 1 {
			span.SetAttributes(attribute.Int("messaging.batch.message_count", n))
		}
	}
	return ctx, span
}

// endAppend ends an append's span with what was stored, or why not. A
// conflict or a duplicate is the write side's ordinary way of learning
// that the aggregate moved, not a failure: it is an attribute.
func endAppend(span trace.Span, last Appended, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	switch {
	case errors.Is(err, ErrConflict):
		span.SetAttributes(attribute.String("plaudit.append.refused", "conflict"))
		err = nil
	case errors.Is(err, ErrDuplicate):
		span.SetAttributes(attribute.String("plaudit.append.refused", "duplicate"))
		err = nil
	case err == nil:
		span.SetAttributes(tracing.AttrDestination.String(last.Subject), tracing.AttrStreamSeq.Int64(int64(last.Seq)))
	}
	tracing.End(span, err)
}
