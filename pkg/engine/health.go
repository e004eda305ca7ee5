package engine

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/relay"
)

// The engine's health metrics are read when /metrics is scraped: the NATS
// connection's state and reconnects from the connection itself, and what
// JetStream says of the event stream, of the durable consumers of the
// projections running here and of the integrations' relays, and of the
// integrations' dead letters. JetStream is asked at most once per
// healthTTL, however many scrapers there are, and each time for no longer
// than healthTimeout; what could not be read is left out of that scrape
// rather than reported as zero.
const (
	healthTTL     = 5 * time.Second
	healthTimeout = 3 * time.Second
)

var (
	natsConnectedDesc = prometheus.NewDesc("plaudit_nats_connected",
		"1 while the engine's NATS connection is connected, 0 while it is disconnected, reconnecting or closed.", nil, nil)
	natsReconnectsDesc = prometheus.NewDesc("plaudit_nats_reconnects_total",
		"Times the engine's NATS connection reconnected.", nil, nil)

	streamMessagesDesc = prometheus.NewDesc("plaudit_stream_messages",
		"Messages (events) the event stream holds.", nil, nil)
	streamBytesDesc = prometheus.NewDesc("plaudit_stream_bytes",
		"Bytes the event stream holds.", nil, nil)
	streamLastSeqDesc = prometheus.NewDesc("plaudit_stream_last_seq",
		"The event stream's last sequence.", nil, nil)
	streamConsumersDesc = prometheus.NewDesc("plaudit_stream_consumers",
		"Consumers of the event stream: the engine's, the relays', downstream services' and live streams'.", nil, nil)

	projPendingDesc = prometheus.NewDesc("plaudit_projection_consumer_pending_events",
		"Events the projection's durable consumer has not delivered yet, as JetStream counts them.", []string{"projection"}, nil)
	projAckPendingDesc = prometheus.NewDesc("plaudit_projection_consumer_ack_pending_events",
		"Events delivered to the projection and not yet acknowledged.", []string{"projection"}, nil)
	projRedeliveredDesc = prometheus.NewDesc("plaudit_projection_consumer_redelivered_events",
		"Events delivered to the projection more than once and not yet acknowledged.", []string{"projection"}, nil)

	relaysDesc = prometheus.NewDesc("plaudit_integration_relays",
		"Relays (durable consumers) of the integration on the stream, one per destination.", []string{"integration"}, nil)
	relayPendingDesc = prometheus.NewDesc("plaudit_integration_consumer_pending_events",
		"Events the integration's relays have not been delivered yet, summed over its relays.", []string{"integration"}, nil)
	relayAckPendingDesc = prometheus.NewDesc("plaudit_integration_consumer_ack_pending_events",
		"Events delivered to the integration's relays and not yet acknowledged (being sent or retried).", []string{"integration"}, nil)
	relayRedeliveredDesc = prometheus.NewDesc("plaudit_integration_consumer_redelivered_events",
		"Events delivered to the integration's relays more than once and not yet acknowledged.", []string{"integration"}, nil)
	deadLettersDesc = prometheus.NewDesc("plaudit_integration_dead_letters",
		"Dead letters of the integration's relays in the dead-letter bucket: events never delivered, awaiting an operator.", []string{"integration"}, nil)
)

// registerMetrics registers the engine's own metrics beside the Go
// runtime's and the process's: the event store's, the health metrics, and
// the gateway's when this engine serves the API.
func (e *Engine) registerMetrics() {
	e.health = &health{e: e}
	e.metrics.MustRegister(e.Store.Collector(), e.health)
	if e.cfg.Only == "" {
		e.Gateway.UseMetrics(e.metrics, e.cfg.MetricsTenantLabel)
	}
}

// health is the prometheus.Collector of the engine's health metrics.
type health struct {
	e *Engine
	// integrations are those whose relays are counted, by the names
	// their relays start with (relay.Owner), and dead where their dead
	// letters are (watchIntegrations). A projector service has neither.
	integrations []string
	dead         *relay.DeadLetters

	mu      sync.Mutex
	readAt  time.Time
	metrics []prometheus.Metric // read at readAt
}

// watchIntegrations has the health metrics count the relays and dead
// letters of the integrations named; call it before /metrics is served.
func (h *health) watchIntegrations(dead *relay.DeadLetters, names ...string) {
	h.integrations, h.dead = names, dead
}

func (h *health) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		natsConnectedDesc, natsReconnectsDesc,
		streamMessagesDesc, streamBytesDesc, streamLastSeqDesc, streamConsumersDesc,
		projPendingDesc, projAckPendingDesc, projRedeliveredDesc,
		relaysDesc, relayPendingDesc, relayAckPendingDesc, relayRedeliveredDesc, deadLettersDesc,
	} {
		ch <- d
	}
}

func (h *health) Collect(ch chan<- prometheus.Metric) {
	nc := h.e.nc
	connected := 0.0
	if nc.Status() == nats.CONNECTED {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(natsConnectedDesc, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(natsReconnectsDesc, prometheus.CounterValue, float64(nc.Stats().Reconnects))

	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.readAt) >= healthTTL {
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		h.metrics = h.read(ctx)
		cancel()
		h.readAt = time.Now()
	}
	for _, m := range h.metrics {
		ch <- m
	}
}

// read asks JetStream for the stream's state, its consumers and the dead
// letters, and makes the metrics of what it could read.
func (h *health) read(ctx context.Context) []prometheus.Metric {
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	stream := h.e.Store.Stream()
	if info, err := stream.Info(ctx); err == nil {
		s := info.State
		gauge(streamMessagesDesc, float64(s.Msgs))
		gauge(streamBytesDesc, float64(s.Bytes))
		gauge(streamLastSeqDesc, float64(s.LastSeq))
		gauge(streamConsumersDesc, float64(s.Consumers))
	}
	consumers, err := consumerInfos(ctx, stream)
	if err == nil {
		projections := h.projectionConsumers()
		type sums struct{ relays, pending, ackPending, redelivered float64 }
		byIntegration := map[string]*sums{}
		for _, name := range h.integrations {
			byIntegration[name] = &sums{}
		}
		for _, c := range consumers {
			if p, ok := projections[c.Name]; ok {
				gauge(projPendingDesc, float64(c.NumPending), p)
				gauge(projAckPendingDesc, float64(c.NumAckPending), p)
				gauge(projRedeliveredDesc, float64(c.NumRedelivered), p)
				continue
			}
			if s := byIntegration[relay.Owner(c.Name)]; s != nil {
				s.relays++
				s.pending += float64(c.NumPending)
				s.ackPending += float64(c.NumAckPending)
				s.redelivered += float64(c.NumRedelivered)
			}
		}
		for name, s := range byIntegration {
			gauge(relaysDesc, s.relays, name)
			gauge(relayPendingDesc, s.pending, name)
			gauge(relayAckPendingDesc, s.ackPending, name)
			gauge(relayRedeliveredDesc, s.redelivered, name)
		}
	}
	if h.dead != nil {
		if counts, err := h.dead.Count(ctx); err == nil {
			dead := map[string]float64{}
			for _, name := range h.integrations {
				dead[name] = 0
			}
			for r, n := range counts {
				if _, ok := dead[relay.Owner(r)]; ok {
					dead[relay.Owner(r)] += float64(n)
				}
			}
			for name, n := range dead {
				gauge(deadLettersDesc, n, name)
			}
		}
	}
	return out
}

// projectionConsumers are the durable consumers of the projections this
// engine runs, by consumer name: its runners', and those of components
// that consume as a projection does (the analytics projector).
func (h *health) projectionConsumers() map[string]string {
	out := map[string]string{}
	for name, r := range h.e.Runners {
		out[r.ConsumerName()] = name
	}
	for name, c := range h.e.Components {
		if p, ok := c.(interface{ ConsumerName() string }); ok {
			out[p.ConsumerName()] = name
		}
	}
	return out
}

// consumerInfos lists the stream's consumers.
func consumerInfos(ctx context.Context, stream jetstream.Stream) ([]*jetstream.ConsumerInfo, error) {
	l := stream.ListConsumers(ctx)
	var out []*jetstream.ConsumerInfo
	for info := range l.Info() {
		out = append(out, info)
	}
	return out, l.Err()
}
