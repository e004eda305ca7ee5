package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// sink is a local endpoint that takes every request and notes when each
// webhook-id (or, unsigned, body) arrived. It does not verify signatures:
// the tests do; the benchmarks measure the sender.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
	changed chan struct{}
}

func newSink(b *testing.B) *sink {
	s := &sink{arrived: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		id := r.Header.Get(webhook.HeaderID)
		if id == "" {
			id = r.Header.Get("X-Event-Id")
		}
		s.mu.Lock()
		s.arrived[id] = time.Now()
		s.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(s.Close)
	return s
}

// wait waits until n ids arrived.
func (s *sink) wait(b *testing.B, n int) {
	deadline := time.After(2 * time.Minute)
	for {
		s.mu.Lock()
		got := len(s.arrived)
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			b.Fatalf("%d of %d delivered", got, n)
		}
	}
}

type benchWorld struct {
	store *eventstore.Store
	reg   *webhook.Registry
	dead  *relay.DeadLetters
}

func newBenchWorld(b *testing.B) *benchWorld {
	st := testenv.Store(b, testenv.NATS(b, b.TempDir()))
	sealer, err := seal.Load(filepath.Join(b.TempDir(), "seal.key"))
	if err != nil {
		b.Fatal(err)
	}
	reg, err := webhook.OpenRegistry(context.Background(), st.JetStream(), 1, sealer, webhook.Policy{Trusted: []string{"127.0.0.1"}})
	if err != nil {
		b.Fatal(err)
	}
	dead, err := relay.OpenDeadLetters(context.Background(), st.JetStream(), 1)
	if err != nil {
		b.Fatal(err)
	}
	return &benchWorld{store: st, reg: reg, dead: dead}
}

func (w *benchWorld) append(b *testing.B) string {
	env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), eventtest.Kudos())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.store.Append(context.Background(), eventstore.Pending{Event: env}); err != nil {
		b.Fatal(err)
	}
	return env.ID
}

// deliver runs a Deliverer of a new subscription to s until the benchmark
// ends; what is appended after this call is delivered.
func (w *benchWorld) deliver(b *testing.B, s *sink) (start func()) {
	sub, _, err := w.reg.Create(context.Background(), "acme", s.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	d := &webhook.Deliverer{Registry: w.reg, Stream: w.store.Stream(), Client: webhook.Policy{Trusted: []string{"127.0.0.1"}}.Client(5 * time.Second),
		Dead: w.dead, Log: slog.New(slog.DiscardHandler)}
	return func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = d.Run(ctx, sub) }()
		b.Cleanup(func() { cancel(); <-done })
	}
}

// BenchmarkWebhookDelivery measures deliveries to a local endpoint:
//   - raw: a bare JetStream pull consumer posting each stored event,
//     unsigned, one at a time, and acknowledging it: the baseline;
//   - throughput: a subscription's Deliverer working through a backlog of
//     b.N kudos, in order, one at a time, signed;
//   - latency: the time from an event's append to its arrival at the
//     endpoint, with 500 events a second appended (p50-ms, p99-ms).
func BenchmarkWebhookDelivery(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		w, s := newBenchWorld(b), newSink(b)
		for range b.N {
			w.append(b)
		}
		ctx := context.Background()
		cons, err := w.store.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: "raw", FilterSubject: event.Prefix + ".acme.>", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1,
		})
		if err != nil {
			b.Fatal(err)
		}
		client := webhook.Policy{Trusted: []string{"127.0.0.1"}}.Client(5 * time.Second)
		b.ResetTimer()
		it, err := cons.Messages(jetstream.PullMaxMessages(1))
		if err != nil {
			b.Fatal(err)
		}
		defer it.Stop()
		for i := 0; i < b.N; {
			msg, err := it.Next()
			if errors.Is(err, jetstream.ErrNoHeartbeat) {
				continue // the iterator pulls again
			}
			if err != nil {
				b.Fatal(err)
			}
			i++
			meta, _ := msg.Metadata()
			req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader(msg.Data()))
			req.Header.Set("X-Event-Id", uuid.NewSHA1(uuid.Nil, []byte{byte(meta.Sequence.Stream), byte(meta.Sequence.Stream >> 8), byte(meta.Sequence.Stream >> 16), byte(meta.Sequence.Stream >> 24)}).String())
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_ = resp.Body.Close()
			if err := msg.Ack(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("throughput", func(b *testing.B) {
		w, s := newBenchWorld(b), newSink(b)
		start := w.deliver(b, s)
		for range b.N {
			w.append(b)
		}
		b.ResetTimer()
		start()
		s.wait(b, b.N)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("latency", func(b *testing.B) {
		w, s := newBenchWorld(b), newSink(b)
		w.deliver(b, s)()
		const rate = 500.0
		appended := make(map[string]time.Time, b.N)
		b.ResetTimer()
		begin := time.Now()
		for i := range b.N {
			if wait := time.Until(begin.Add(time.Duration(float64(i) / rate * float64(time.Second)))); wait > 0 {
				time.Sleep(wait)
			}
			at := time.Now()
			appended[w.append(b)] = at
		}
		s.wait(b, b.N)
		b.StopTimer()
		lat := make([]time.Duration, 0, b.N)
		s.mu.Lock()
		for id, at := range appended {
			lat = append(lat, max(s.arrived[id].Sub(at), 0))
		}
		s.mu.Unlock()
		slices.Sort(lat)
		bench.ReportLatency(b, lat)
	})
}
