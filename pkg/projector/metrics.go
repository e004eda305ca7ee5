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
		lastSeq:      gauge("plaudit_projection_last_applied_seq", "Last stream sequence the projection's store reflects."),
		lag:          gauge("plaudit_projection_lag_events", "Events in the stream the projection has not yet read."),
		applied:      counter("plaudit_projection_events_applied_total", "Events applied to the projection's store."),
		deadLettered: counter("plaudit_projection_dead_lettered_total", "Events sent to the projection's dead-letter subject."),
		retries:      counter("plaudit_projection_retries_total", "Batches retried after a transient failure."),
		batchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "plaudit_projection_batch_apply_seconds", Help: "Time to apply and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, byProjection),
	}
	reg.MustRegister(m.lastSeq, m.lag, m.applied, m.deadLettered, m.retries, m.batchSeconds)
	return m
}

// byProjection are the labels of every metric: the projection's name.
var byProjection = []string{"projection"}

func gauge(name, help string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, byProjection)
}

func counter(name, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, byProjection)
}
