package projector

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runtime's Prometheus metrics, labelled by projection.
type Metrics struct {
	lastSeq      *prometheus.GaugeVec
	lag          *prometheus.GaugeVec
	applied      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	retries      *prometheus.CounterVec
	batchSeconds *prometheus.HistogramVec
}

// NewMetrics registers the runtime's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		lastSeq: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plaudit_projection_last_applied_seq", Help: "Last stream sequence the projection's store reflects.",
		}, []string{"projection"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plaudit_projection_lag_events", Help: "Events in the stream the projection has not yet read.",
		}, []string{"projection"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_projection_events_applied_total", Help: "Events applied to the projection's store.",
		}, []string{"projection"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_projection_dead_lettered_total", Help: "Events sent to the projection's dead-letter subject.",
		}, []string{"projection"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_projection_retries_total", Help: "Batches retried after a transient failure.",
		}, []string{"projection"}),
		batchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "plaudit_projection_batch_apply_seconds", Help: "Time to apply and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"projection"}),
	}
	reg.MustRegister(m.lastSeq, m.lag, m.applied, m.deadLettered, m.retries, m.batchSeconds)
	return m
}
