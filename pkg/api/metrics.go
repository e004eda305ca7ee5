package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
)

// The gateway's metrics are RED metrics of both transports: requests by
// route (HTTP: the ServeMux pattern that matched, never the path; NATS: the
// operation), status class and the key's role; their latency; those in
// flight; operations refused and why; requests refused for going too fast,
// by limit; and live streams open. No label holds a member, key or tenant
// id, unless the operator asks for the tenant on the request counter
// (UseMetrics): the series stay as few as the routes, roles and reasons.

// Transports, as the transport label names them.
const (
	transportHTTP = "http"
	transportNATS = "nats"
)

// Limits, as the rate-limited counter's limit label names them.
const (
	limitPerKey        = "per_key"                // a key's requests a second
	limitPerClient     = "per_client"             // a client address's HTTP requests a second
	limitFailedAuth    = "failed_authentications" // a client address's wrong keys
	limitStreamsPerKey = "streams_per_key"        // a key's live streams open at once
)

// streamRoute is GET /v1/stream, whose connections last as long as their
// clients follow: they are counted when they end and by the live-streams
// gauge, not timed nor counted in flight.
const streamRoute = "GET /v1/stream"

// noRole labels a request that no key authenticated.
const noRole = "none"

type metrics struct {
	requests *prometheus.CounterVec   // transport, route, status_class, role [, tenant]
	byTenant bool                     // requests has the tenant label
	latency  *prometheus.HistogramVec // transport, route
	inflight *prometheus.GaugeVec     // transport
	refused  *prometheus.CounterVec   // operation, reason
	limited  *prometheus.CounterVec   // limit
	streams  prometheus.Gauge
}

func newMetrics(byTenant bool) *metrics {
	labels := []string{"transport", "route", "status_class", "role"}
	if byTenant {
		labels = append(labels, "tenant")
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_api_requests_total",
			Help: "API requests answered, by transport (http, nats), route (the HTTP route pattern or the NATS operation), status class (2xx…5xx) and the key's role (none: not authenticated).",
		}, labels),
		byTenant: byTenant,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plaudit_api_request_duration_seconds",
			Help:    "Time to answer an API request, by transport and route; GET /v1/stream, which lasts as long as its client, is not timed.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"transport", "route"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plaudit_api_requests_in_flight",
			Help: "API requests being answered now, by transport; live streams are counted by plaudit_api_live_streams instead.",
		}, []string{"transport"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_api_operations_refused_total",
			Help: "API operations (commands and the other operations of the v1 table, and each rating of a batch) answered with a problem, by operation and reason: the write side's rule (allowance, self, generic_message, message_too_short, validation, not_found, forbidden, conflict, conflict_retry_exhausted, unavailable) or else the problem's kind (unauthenticated, rate_limited, malformed_request, …).",
		}, []string{"operation", "reason"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_api_rate_limited_total",
			Help: "Requests refused for going too fast (429), by the limit they met: per_key, per_client, failed_authentications, streams_per_key.",
		}, []string{"limit"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plaudit_api_live_streams",
			Help: "GET /v1/stream connections open now.",
		}),
	}
	// The series of fixed labels are there from the start, so that a
	// rate over them is 0 rather than nothing until the first request.
	for _, t := range []string{transportHTTP, transportNATS} {
		m.inflight.WithLabelValues(t)
	}
	for _, l := range []string{limitPerKey, limitPerClient, limitFailedAuth, limitStreamsPerKey} {
		m.limited.WithLabelValues(l)
	}
	return m
}

// UseMetrics registers the gateway's metrics with reg; call it before
// serving. With byTenant the request counter is labelled with the key's
// tenant too ("none" when no key authenticated): a series per tenant,
// route, status class and role, which an operator of many tenants weighs
// before turning it on. The other metrics never carry the tenant.
func (g *Gateway) UseMetrics(reg prometheus.Registerer, byTenant bool) {
	m := newMetrics(byTenant)
	reg.MustRegister(m.requests, m.latency, m.inflight, m.refused, m.limited, m.streams)
	g.metrics = m
}

// observation is what answering one request learns for its metrics
// beyond its route and status: who asked. authenticate records it; the
// transport that put it in the request's context reads it once the
// request is answered, on the goroutine that answered it.
type observation struct {
	role, tenant string
}

type observationKey struct{}

// observed records who the request of ctx is from, when its transport
// observes it.
func observed(ctx context.Context, role, tenant string) {
	if o, ok := ctx.Value(observationKey{}).(*observation); ok {
		o.role, o.tenant = role, tenant
	}
}

// begin starts observing a request to route over transport: it returns
// the context to answer it in, and the function to call with its status
// once it is answered.
func (m *metrics) begin(ctx context.Context, transport, route string) (context.Context, func(status int)) {
	o := &observation{role: noRole, tenant: noRole}
	ctx = context.WithValue(ctx, observationKey{}, o)
	timed := route != streamRoute
	start := time.Now()
	if timed {
		m.inflight.WithLabelValues(transport).Inc()
	}
	return ctx, func(status int) {
		labels := []string{transport, route, statusClass(status), o.role}
		if m.byTenant {
			labels = append(labels, o.tenant)
		}
		m.requests.WithLabelValues(labels...).Inc()
		if timed {
			m.inflight.WithLabelValues(transport).Dec()
			m.latency.WithLabelValues(transport, route).Observe(time.Since(start).Seconds())
		}
	}
}

// statusClass is "2xx" for 200 to 299, and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// refusal counts an operation answered with a problem; a reply that is
// not one (or one replayed for its Idempotency-Key) counts nothing.
func (m *metrics) refusal(op string, r Reply) {
	if r.reason != "" {
		if _, ok := ops[op]; !ok {
			op = "unknown"
		}
		m.refused.WithLabelValues(op, r.reason).Inc()
	}
}

// refusedRating counts a rating of a batch refused with p, as a refusal of
// the operation that records one rating.
func (m *metrics) refusedRating(err error, p *apiv1.Problem) {
	m.refused.WithLabelValues(apiv1.OpRecordRating, refusalReason(err, p)).Inc()
}

// refusalReason names why err, answered with p, refused a request: the
// write side's rule when it broke one (command.Refusal), else the kind of
// problem the client sees, in snake case ("unauthenticated",
// "rate_limited", "malformed_request"). Both are fixed sets in code, so
// the label stays bounded.
func refusalReason(err error, p *apiv1.Problem) string {
	if r := command.Refusal(err); r != "" {
		return r
	}
	kind, ok := strings.CutPrefix(p.Type, apiv1.ProblemBase)
	switch {
	case !ok || kind == "":
		return "other"
	case kind == "invalid-field":
		return command.RuleValidation
	}
	return strings.ReplaceAll(kind, "-", "_")
}

// routeMux is a ServeMux that knows the patterns registered on it: the
// only values the route label takes.
type routeMux struct {
	*http.ServeMux
	patterns map[string]bool
}

func newRouteMux() *routeMux {
	return &routeMux{ServeMux: http.NewServeMux(), patterns: map[string]bool{}}
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns[pattern] = true
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns[pattern] = true
	m.ServeMux.HandleFunc(pattern, h)
}

// route is the pattern that serves r, or "unmatched": for a method no
// pattern takes, and for the redirects ServeMux answers itself, which
// may name the request's own path (a CONNECT request's, say).
func (m *routeMux) route(r *http.Request) string {
	if _, p := m.Handler(r); m.patterns[p] {
		return p
	}
	return "unmatched"
}

// instrument observes the HTTP requests next serves, which mux routes.
// The route is found before serving, so that the requests refused before
// they reach mux (a client over its rate) are counted under theirs too.
func (g *Gateway) instrument(mux *routeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := mux.route(r)
		ctx, done := g.metrics.begin(r.Context(), transportHTTP, route)
		sw := &StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		done(sw.Status())
	})
}

// StatusWriter remembers the status of the answer written through it, for
// the metrics and spans of a request (the web pages' too). It flushes and
// unwraps, as GET /v1/stream needs.
type StatusWriter struct {
	http.ResponseWriter
	code int
}

func (w *StatusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *StatusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the answer's status: 200 when the handler wrote nothing, as
// net/http answers then.
func (w *StatusWriter) Status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
