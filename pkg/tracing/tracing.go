// Package tracing carries Plaudit's OpenTelemetry traces from a request,
// through the event stream, to everything that handles the events: the W3C
// Trace Context of the append that stored an event travels in the event
// itself, in its traceparent and tracestate attributes (the CloudEvents
// distributed-tracing extension), and each projector, the rules engine and
// each integration starts its span for the event as a child of it. Its
// LogHandler puts the trace and span ids on every log line written with
// such a span in its ctx.
//
// Roots are made only where work comes in (an HTTP or NATS request, by
// package api). Everything below starts children (Child) from the
// provider of the span in its ctx, so it needs no provider of its own, and
// with no span in ctx (tracing off, or work no request started: a timer, a
// catch-up) it starts nothing and stamps nothing, at the cost of a ctx
// lookup.
//
// Only a sampled trace goes on past its root: a trace the sampler did not
// pick gets no child spans (parent-based sampling would drop every one of
// them; starting them cost the write path several per cent) and its
// events no traceparent (an event is stored for good, and the trace it
// would name was never recorded). Its root's ids still mark the request's
// log lines.
//
// It builds no exporter: cmd/plauditd does, so that what imports this
// package does not link an OTLP client.
package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plaudit/plaudit/pkg/event"
)

// Scope is the instrumentation scope of every tracer Plaudit makes.
const Scope = "github.com/plaudit/plaudit"

// DefaultSampleRatio is the share of new traces (requests that come in
// without a sampled parent) recorded by default: one in ten.
const DefaultSampleRatio = 0.1

// NewProvider returns the provider plauditd traces with: spans of a
// sampled parent are recorded, new traces at ratio (parent-based
// sampling, so a trace is recorded whole or not at all), and recorded
// spans go to exp in batches, off the request's path. Shut it down to
// flush what is queued.
func NewProvider(exp sdktrace.SpanExporter, ratio float64, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	opts = append([]sdktrace.TracerProviderOption{
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}, opts...)
	return sdktrace.NewTracerProvider(opts...)
}

// Child starts the span name as a child of the span in ctx, from that
// span's provider. With no span in ctx, or one of a trace not sampled, it
// starts none: ctx comes back as it was, with a span that does nothing.
func Child(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsSampled() {
		return ctx, noop.Span{}
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// propagator reads and writes the W3C traceparent and tracestate.
var propagator = propagation.TraceContext{}

// envelopeCarrier exposes an envelope's trace attributes to the
// propagator under the W3C header names, which are also their CloudEvents
// attribute names.
type envelopeCarrier struct{ env *event.Envelope }

func (c envelopeCarrier) Get(key string) string {
	switch key {
	case "traceparent":
		return c.env.TraceParent
	case "tracestate":
		return c.env.TraceState
	}
	return ""
}

func (c envelopeCarrier) Set(key, value string) {
	switch key {
	case "traceparent":
		c.env.TraceParent = value
	case "tracestate":
		c.env.TraceState = value
	}
}

func (c envelopeCarrier) Keys() []string { return []string{"traceparent", "tracestate"} }

// Stamp sets env's traceparent and tracestate to the span context in ctx
// when its trace is sampled, and clears them otherwise: an event carries
// the recorded trace of the append that stores it, or no trace.
func Stamp(ctx context.Context, env *event.Envelope) {
	env.TraceParent, env.TraceState = "", ""
	if trace.SpanContextFromContext(ctx).IsSampled() {
		propagator.Inject(ctx, envelopeCarrier{env})
	}
}

// Continue returns ctx holding the span context env carries, as a remote
// parent; ctx as it was when env carries none or one that does not parse.
func Continue(ctx context.Context, env event.Envelope) context.Context {
	if env.TraceParent == "" {
		return ctx
	}
	return propagator.Extract(ctx, envelopeCarrier{&env})
}

// StartEvent starts, from tp, the span name for handling env in the trace
// env carries: a consumer span, a child of the append that stored env.
// An event that carries no sampled trace, or a nil tp, gets no span: ctx
// comes back as it was, with a span that does nothing. Handling an event
// is never a root of its own: the stream would make a trace per event.
func StartEvent(ctx context.Context, tp trace.TracerProvider, name string, env event.Envelope, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if tp == nil || env.TraceParent == "" {
		return ctx, noop.Span{}
	}
	parent := Continue(ctx, env)
	if !trace.SpanContextFromContext(parent).IsSampled() {
		return ctx, noop.Span{}
	}
	attrs = append(attrs, EventAttrs(env)...)
	return tp.Tracer(Scope).Start(parent, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

// RecordEvent records, from tp, a finished span name for handling env from
// start to end, under the same rules as StartEvent: for work done on a
// batch of events at once (the analytics projector's inserts), each traced
// event of the batch gets the batch's span in its own trace.
func RecordEvent(ctx context.Context, tp trace.TracerProvider, name string, env event.Envelope, start, end time.Time, attrs ...attribute.KeyValue) {
	if tp == nil || env.TraceParent == "" {
		return
	}
	parent := Continue(ctx, env)
	if !trace.SpanContextFromContext(parent).IsSampled() {
		return
	}
	attrs = append(attrs, EventAttrs(env)...)
	_, span := tp.Tracer(Scope).Start(parent, name, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attrs...), trace.WithTimestamp(start))
	span.End(trace.WithTimestamp(end))
}

// Attribute keys of Plaudit's spans; messaging.* follow OpenTelemetry's
// semantic conventions.
const (
	AttrTenant      = attribute.Key("plaudit.tenant")
	AttrEventType   = attribute.Key("plaudit.event.type")
	AttrMessageID   = attribute.Key("messaging.message.id")
	AttrSystem      = attribute.Key("messaging.system")
	AttrDestination = attribute.Key("messaging.destination.name")
	AttrStreamSeq   = attribute.Key("plaudit.stream_seq")
)

// EventAttrs are the attributes of a span about env: its tenant, type and
// id, and that it travels on NATS.
func EventAttrs(env event.Envelope) []attribute.KeyValue {
	return []attribute.KeyValue{
		AttrSystem.String("nats"), AttrTenant.String(env.Tenant), AttrEventType.String(env.Type), AttrMessageID.String(env.ID),
	}
}

// End ends span, marked failed with err when err is not nil.
func End(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
