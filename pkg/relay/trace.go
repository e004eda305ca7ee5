package relay

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// traceSend starts the span of one attempt at sending env, a child of the
// append that stored it: the webhook or chat message an event became sits
// in the trace of the request that made the event. A span per attempt,
// not per event: the retries of one event may go on for an hour.
func (r *Relay) traceSend(ctx context.Context, env event.Envelope, seq uint64, attempt int) (context.Context, trace.Span) {
	if r.TracerProvider == nil || env.TraceParent == "" {
		return ctx, noop.Span{}
	}
	return tracing.StartEvent(ctx, r.TracerProvider, "deliver "+env.Type, env,
		attribute.String("plaudit.relay", r.Name), tracing.AttrStreamSeq.Int64(int64(seq)), attribute.Int("plaudit.attempt", attempt))
}
