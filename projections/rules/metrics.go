package rules

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/command"
)

// metrics are the rules engine's own: what it did, by kind and outcome.
// Replays (a nudge or kudos that was there already) are not counted.
type metrics struct {
	nudges  *prometheus.CounterVec // kind, outcome
	kudos   *prometheus.CounterVec // outcome: given, retracted
	sweeps  prometheus.Histogram
	swept   prometheus.Gauge
	pending prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		nudges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_rules_nudges_total",
			Help: "What this rules engine did with nudges, by kind and outcome: issued, delivered, cancelled_<reason> (member_left, not_wanted, expired), and skipped_<reason> (attempts not issued: not_wanted, daily_cap, too_late, inactive). Replays count nothing.",
		}, []string{"kind", "outcome"}),
		kudos: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_rules_rating_kudos_total",
			Help: "Kudos from customers the rules engine gave or retracted.",
		}, []string{"outcome"}),
		sweeps: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "plaudit_rules_sweep_seconds",
			Help:    "How long a sweep for gap and giving nudges took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8),
		}),
		swept: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plaudit_rules_last_sweep_timestamp_seconds",
			Help: "When the last sweep that succeeded ran, by the engine's clock.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plaudit_rules_nudges_due",
			Help: "Nudges found due at the last look: delivered or cancelled then.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.nudges, m.kudos, m.sweeps, m.swept, m.pending)
	}
	return m
}

// issued counts what IssueNudge did: a nudge issued (and delivered with
// it, when not deferred), or not issued and why. Replays count nothing.
func (m *metrics) issued(kind string, out command.NudgeOutcome) {
	switch {
	case m == nil:
	case out.Skipped != "":
		m.nudges.WithLabelValues(kind, "skipped_"+out.Skipped).Inc()
	case len(out.Events) > 0 && !out.Replayed:
		m.nudges.WithLabelValues(kind, "issued").Inc()
		if len(out.Events) > 1 {
			m.nudges.WithLabelValues(kind, "delivered").Inc()
		}
	}
}

// due counts a deferred nudge delivered or cancelled when it fell due.
func (m *metrics) due(kind string, res command.Result, cancelled string) {
	if m == nil || res.Replayed || len(res.Events) == 0 {
		return
	}
	outcome := "delivered"
	if cancelled != "" {
		outcome = "cancelled_" + cancelled
	}
	m.nudges.WithLabelValues(kind, outcome).Inc()
}

// ratingKudos counts kudos given or retracted.
func (m *metrics) ratingKudos(outcome string, res command.Result) {
	if m == nil || res.Replayed || len(res.Events) == 0 {
		return
	}
	m.kudos.WithLabelValues(outcome).Inc()
}
