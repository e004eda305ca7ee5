package eventstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// benchKudos returns a kudos_given envelope as the command path builds it for a
// one-recipient, one-point kudos.
func benchKudos(giver, recipient string, now time.Time) (event.Envelope, error) {
	return event.New("bench", uuid.Must(uuid.NewV7()).String(), now, benchKudosData(giver, recipient, now))
}

func benchKudosData(giver, recipient string, now time.Time) event.KudosGiven {
	return event.KudosGiven{
		Giver: giver, Recipients: []string{recipient}, Message: bench.KudosMessage,
		Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		Period: "day:" + now.UTC().Format(time.DateOnly), Spent: 1,
	}
}

// benchKudosBody returns the JSON of a kudos envelope: the payload size the
// raw baseline publishes.
func benchKudosBody(tb testing.TB) []byte {
	tb.Helper()
	now := time.Now()
	_, b := eventtest.Stored(tb, "bench", uuid.Must(uuid.NewV7()).String(), now, benchKudosData(bench.GiveMember(0), bench.GiveMember(1), now))
	return b
}

// BenchmarkRawJetStreamPublishAsync is the baseline of the give-kudos
// benchmarks: bench.Givers publishers, as many as those benchmarks have
// clients, send kudos-sized messages with unique message ids on
// kudos-shaped subjects into the real stream configuration with
// PublishMsgAsync, and the clock stops when every acknowledgement is in. No
// expectation headers, no validation, no waiting per message.
func BenchmarkRawJetStreamPublishAsync(b *testing.B) {
	srv := testenv.NATS(b, "")
	st := testenv.Store(b, srv)
	js := st.JetStream()
	body := benchKudosBody(b)

	plan := bench.NewGives(b.N)
	futures := make([][]jetstream.PubAckFuture, bench.Givers)
	b.ResetTimer()
	err := bench.Workers(func(w int) error {
		giver := bench.GiveMember(w)
		futures[w] = make([]jetstream.PubAckFuture, 0, plan.Share(w))
		for range plan.Share(w) {
			m := nats.NewMsg(event.KudosSubject("bench", giver, "given"))
			m.Data = body
			m.Header.Set(jetstream.MsgIDHeader, uuid.Must(uuid.NewV7()).String())
			f, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute))
			if err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			futures[w] = append(futures[w], f)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatalf("acks still pending after a minute: %d", js.PublishAsyncPending())
	}
	b.StopTimer()
	for _, fs := range futures {
		for _, f := range fs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				b.Fatalf("ack: %v", err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := st.Stream().Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if got := info.State.Msgs; got != uint64(b.N) {
		b.Fatalf("stream holds %d messages, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(body)), "B/event")
}

// BenchmarkAppendConditional sits between the raw baseline and the command
// path: bench.Givers goroutines call Store.Append with kudos envelopes, each
// conditional on its giver's last sequence as GiveKudos appends them, one
// append at a time per goroutine. It has no validation, no allowance and no
// directory. Each goroutine owns its givers and rotates through them so that
// none gives more than bench.HistoryPerGiver kudos at any b.N.
func BenchmarkAppendConditional(b *testing.B) {
	srv := testenv.NATS(b, "")
	st := testenv.Store(b, srv)
	plan := bench.NewGives(b.N)

	b.ResetTimer()
	err := bench.Workers(func(w int) error {
		last := make([]uint64, plan.Slots())
		for i := range plan.Share(w) {
			giver, recipient := plan.Pair(w, i)
			env, err := benchKudos(giver, recipient, time.Now())
			if err != nil {
				return err
			}
			a, err := st.Append(context.Background(), eventstore.Pending{Event: env, Expect: &eventstore.Expectation{
				Filter: event.GiverFilter("bench", giver), Seq: last[plan.Slot(i)],
			}})
			if err != nil {
				return err
			}
			last[plan.Slot(i)] = a.Seq
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatalf("append: %v", err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
