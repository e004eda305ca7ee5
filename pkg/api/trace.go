package api

import (
	"context"
	"net/http"
	"net/textproto"
	"strconv"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// The gateway is where traces start: a server span per HTTP request and
// per NATS request, a child of the caller's span when the request carries
// a W3C traceparent (a platform that traces its own side sees its rating
// go on into Plaudit; a caller's sampled flag makes the trace recorded,
// as parent-based sampling does everywhere), and, below it, a span per
// operation (Do). Everything the operation does continues from there
// (tracing.Child), into the events it appends.

// SetTracerProvider makes the gateway trace its requests with tp; nil
// (the default) traces nothing, not even a caller's traceparent is read.
// Call it before serving.
func (g *Gateway) SetTracerProvider(tp trace.TracerProvider) {
	g.tracer = nil
	if tp != nil {
		g.tracer = tp.Tracer(tracing.Scope)
	}
}

var propagator = propagation.TraceContext{}

// traced gives each request to next a server span, named after the route
// mux matches it to (a pattern, never the path, which holds ids: see
// routeMux.route).
func (g *Gateway) traced(mux *routeMux, next http.Handler) http.Handler {
	if g.tracer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := mux.route(r)
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := g.tracer.Start(ctx, route, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", r.Method), attribute.String("http.route", route), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		sw := &StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}

// natsCarrier reads a NATS request's headers for the propagator: NATS
// headers are case-sensitive, and a traceparent may come as W3C writes it
// or in the canonical HTTP form an HTTP client library makes of it.
type natsCarrier nats.Header

func (c natsCarrier) Get(key string) string {
	if v := nats.Header(c).Get(key); v != "" {
		return v
	}
	return nats.Header(c).Get(textproto.CanonicalMIMEHeaderKey(key))
}

func (c natsCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// traceNATS starts the server span of a NATS request to operation op.
func (g *Gateway) traceNATS(ctx context.Context, op string, h nats.Header) (context.Context, trace.Span) {
	if g.tracer == nil {
		return ctx, noop.Span{}
	}
	ctx = propagator.Extract(ctx, natsCarrier(h))
	return g.tracer.Start(ctx, ServiceName+"/"+op, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(tracing.AttrSystem.String("nats"), attribute.String("rpc.method", op)))
}

// Do authenticates, authorises and runs the call (do), in a span of its
// own, a child of the request's, named after the operation (when the
// request's trace is sampled: tracing.Child).
func (g *Gateway) Do(ctx context.Context, c Call) Reply {
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return g.do(ctx, c)
	}
	ctx, span := tracing.Child(ctx, c.Op)
	defer span.End()
	r := g.do(ctx, c)
	span.SetAttributes(attribute.Int("plaudit.status", r.Status), attribute.Bool("plaudit.replayed", r.Replayed))
	if r.Status >= 500 {
		span.SetStatus(codes.Error, strconv.Itoa(r.Status))
	}
	return r
}

// annotate tells the operation's span who called.
func annotate(ctx context.Context, p auth.Principal) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(tracing.AttrTenant.String(p.Tenant), attribute.String("plaudit.role", string(p.Role)))
	}
}
