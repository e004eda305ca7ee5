package projector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// metric returns the value of a counter or gauge of reg labelled
// projection=name (a histogram gives its sample count), and whether it is
// there.
func metric(t *testing.T, reg *prometheus.Registry, family, name string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "projection" && l.GetValue() == name {
					switch {
					case m.Counter != nil:
						return m.Counter.GetValue(), true
					case m.Gauge != nil:
						return m.Gauge.GetValue(), true
					case m.Histogram != nil:
						return float64(m.Histogram.GetSampleCount()), true
					}
				}
			}
		}
	}
	return 0, false
}

// storeWithDeadLetters starts a server with the event stream and the
// dead-letter stream.
func storeWithDeadLetters(t *testing.T) *eventstore.Store {
	t.Helper()
	st := testenv.Store(t, testenv.NATS(t, ""))
	if _, err := projector.EnsureDeadLetterStream(context.Background(), st.JetStream(), 1); err != nil {
		t.Fatal(err)
	}
	return st
}

// runWithMetrics runs p on st, with a metrics registry of its own, until
// the test ends.
func runWithMetrics(t *testing.T, st *eventstore.Store, p projector.Projection) (*projector.Runner, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := projector.TestConfig(st, t.TempDir(), 0)
	cfg.Metrics = projector.NewMetrics(reg)
	r, _ := projector.StartRunner(t, p, cfg)
	return r, reg
}

func envelopeJSON(t *testing.T, d event.Data, mutate func(*event.Envelope)) []byte {
	t.Helper()
	env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), d)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(&env)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPoisonEventsAreDeadLettered publishes, straight onto the stream,
// messages a projection cannot take: each lands on the projection's
// dead-letter subject with its reason, original sequence and subject and
// its body unchanged, and the projector applies what follows.
func TestPoisonEventsAreDeadLettered(t *testing.T) {
	t.Parallel()
	kudos := event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Message: "Thanks for the runbook update", Values: []string{},
		Points: 1, Visibility: event.Public, Channel: event.ChannelAPI, Period: "day:2026-11-23", Spent: 1}
	anaGiven := event.KudosSubject("acme", "ana", "given")
	poison := kudos
	poison.Recipients = []string{"poison"}
	tests := []struct {
		name    string
		subject string
		body    func(t *testing.T) []byte
		reason  string // in the dead letter's reason
	}{
		{"not JSON", anaGiven, func(*testing.T) []byte { return []byte("{not json") }, "malformed"},
		{"not an envelope", anaGiven, func(*testing.T) []byte { return []byte(`{"hello":"world"}`) }, "malformed"},
		{"unknown version", anaGiven, func(t *testing.T) []byte {
			return envelopeJSON(t, kudos, func(e *event.Envelope) { e.Type = strings.Replace(e.Type, ".v1", ".v99", 1) })
		}, "unknown type"},
		{"data not of its type", anaGiven, func(t *testing.T) []byte {
			return envelopeJSON(t, kudos, func(e *event.Envelope) { e.Data = json.RawMessage(`{"giver":42}`) })
		}, "malformed"},
		{"stored under another giver's subject", event.KudosSubject("acme", "cy", "given"), func(t *testing.T) []byte {
			return envelopeJSON(t, kudos, nil)
		}, "belongs on"},
		{"breaks the projection's rule", anaGiven, func(t *testing.T) []byte {
			return envelopeJSON(t, poison, nil)
		}, "breaks the rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storeWithDeadLetters(t)
			ctx := context.Background()
			r, reg := runWithMetrics(t, st, projector.Tally{})
			give(t, st, 3, "bo")
			body := tt.body(t)
			ack, err := st.JetStream().Publish(ctx, tt.subject, body)
			if err != nil {
				t.Fatal(err)
			}
			give(t, st, 5, "bo", "cy")
			waitSeq(t, r, st)
			if got := counts(t, r); got["bo"] != 8 || got["cy"] != 5 || got["poison"] != 0 {
				t.Fatalf("counts = %v, want bo 8, cy 5", got)
			}

			dlq, err := st.JetStream().Stream(ctx, projector.DeadLetterStream)
			if err != nil {
				t.Fatal(err)
			}
			m, err := dlq.GetLastMsgForSubject(ctx, projector.DeadLetterSubject("tally"))
			if err != nil {
				t.Fatalf("no dead letter: %v", err)
			}
			if info, _ := dlq.Info(ctx); info.State.Msgs != 1 {
				t.Errorf("%d dead letters, want 1", info.State.Msgs)
			}
			if reason := m.Header.Get(projector.HeaderReason); !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q lacks %q", reason, tt.reason)
			}
			if seq := m.Header.Get(projector.HeaderStreamSeq); seq != strconv.FormatUint(ack.Sequence, 10) {
				t.Errorf("original sequence %q, want %d", seq, ack.Sequence)
			}
			if subj := m.Header.Get(projector.HeaderSubject); subj != tt.subject {
				t.Errorf("original subject %q, want %q", subj, tt.subject)
			}
			if string(m.Data) != string(body) {
				t.Errorf("dead letter body %q, want the original %q", m.Data, body)
			}

			s, err := r.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.DeadLettered != 1 || s.Applied != 8 || s.Lag != 0 || s.LastSeq != r.LastSeq() {
				t.Errorf("status %+v", s)
			}
			if v, _ := metric(t, reg, "plaudit_projection_dead_lettered_total", "tally"); v != 1 {
				t.Errorf("dead_lettered_total = %v, want 1", v)
			}
			if v, _ := metric(t, reg, "plaudit_projection_events_applied_total", "tally"); v != 8 {
				t.Errorf("events_applied_total = %v, want 8", v)
			}
		})
	}
}

// flaky counts kudos like projector.Tally, but its store is "busy" the
// first failures times it is asked to apply an event.
type flaky struct {
	projector.Tally
	failures int64
	calls    atomic.Int64
}

func (f *flaky) Name() string { return "flaky" }

func (f *flaky) Apply(ctx context.Context, tx *projector.Tx, ev projector.Event) error {
	if n := f.calls.Add(1); n <= f.failures {
		return projector.Transient(fmt.Errorf("store busy (call %d)", n))
	}
	return f.Tally.Apply(ctx, tx, ev)
}

// TestTransientErrorsRetry: an Apply that fails transiently a few times
// and then succeeds is retried with backoff in process: every event is
// applied exactly once, the retries are counted, nothing is dead-lettered.
func TestTransientErrorsRetry(t *testing.T) {
	t.Parallel()
	st := storeWithDeadLetters(t)
	ctx := context.Background()
	give(t, st, 4, "bo")
	r, reg := runWithMetrics(t, st, &flaky{failures: 3})
	waitSeq(t, r, st)
	if got := counts(t, r); got["bo"] != 4 {
		t.Fatalf("counts = %v, want bo 4", got)
	}
	if retries, _ := metric(t, reg, "plaudit_projection_retries_total", "flaky"); retries != 3 {
		t.Errorf("retries_total = %v, want 3", retries)
	}
	s, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Applied != 4 || s.DeadLettered != 0 {
		t.Errorf("status %+v", s)
	}
	dlq, err := st.JetStream().Stream(ctx, projector.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := dlq.Info(ctx); info.State.Msgs != 0 {
		t.Errorf("%d dead letters, want none", info.State.Msgs)
	}
}
