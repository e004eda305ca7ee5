package analytics

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the analytics projector's, on /metrics.
type Metrics struct {
	up           prometheus.Gauge
	lastSeq      prometheus.Gauge
	lag          prometheus.Gauge
	events       prometheus.Counter
	rows         *prometheus.CounterVec
	deadLettered prometheus.Counter
	retries      prometheus.Counter
	batchSeconds prometheus.Histogram
	insert       prometheus.Histogram
}

// NewMetrics registers the analytics metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plaudit_analytics_clickhouse_up",
			Help: "1 while ClickHouse takes the analytics projector's batches, 0 while it retries."}),
		lastSeq: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plaudit_analytics_last_inserted_seq",
			Help: "Stream sequence of the newest event inserted into ClickHouse."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plaudit_analytics_lag_events",
			Help: "Events in the stream after the newest batch inserted into ClickHouse."}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "plaudit_analytics_events_inserted_total",
			Help: "Events inserted into ClickHouse."}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plaudit_analytics_rows_inserted_total",
			Help: "Rows inserted into ClickHouse, by table."}, []string{"table"}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{Name: "plaudit_analytics_dead_lettered_total",
			Help: "Events the analytics projector could not decode, sent to its dead-letter subject."}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "plaudit_analytics_retries_total",
			Help: "Failed attempts at ClickHouse (connect, migrate, insert), each retried."}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "plaudit_analytics_batch_seconds",
			Help: "Time to insert a batch, retries included.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		insert: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "plaudit_analytics_clickhouse_insert_seconds",
			Help:    "Time ClickHouse took to take a batch's rows, every table's, on an attempt that succeeded: its latency, without the retries.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	reg.MustRegister(m.up, m.lastSeq, m.lag, m.events, m.rows, m.deadLettered, m.retries, m.batchSeconds, m.insert)
	return m
}
