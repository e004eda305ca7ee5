package rules

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
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
			Help: "Nudges by kind and outcome, as this replica applied them: issued, delivered, cancelled_<reason>, acknowledged, dismissed; and skipped_<reason> (not issued: not_wanted, daily_cap, too_late, inactive).",
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

// skipped counts a nudge IssueNudge did not issue, and why.
func (m *metrics) skipped(kind string, out command.NudgeOutcome) {
	if m != nil && out.Skipped != "" {
		m.nudges.WithLabelValues(kind, "skipped_"+out.Skipped).Inc()
	}
}

// lifecycle counts a nudge event the projection applied live.
func (m *metrics) lifecycle(kind string, d event.Data) {
	if m == nil {
		return
	}
	outcome := ""
	switch e := d.(type) {
	case event.NudgeIssued:
		outcome = "issued"
	case event.NudgeDelivered:
		outcome = "delivered"
	case event.NudgeCancelled:
		outcome = "cancelled_" + e.Reason
	case event.NudgeAcknowledged:
		outcome = "acknowledged"
	case event.NudgeDismissed:
		outcome = "dismissed"
	default:
		return
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
