package eventstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// benchClients is how many publishers run at once, as in the give-kudos
// benchmarks of pkg/command and pkg/api that this one is the baseline of.
const benchClients = 64

// benchMessage is the message of every benchmark kudos; the give-kudos
// benchmarks use the same text so that their events have this size.
const benchMessage = "Thanks for untangling the flaky deploy pipeline before Friday's release"

// benchKudos returns a kudos_given envelope as the command path builds it for a
// one-recipient, one-point kudos.
func benchKudos(giver, recipient string, now time.Time) (event.Envelope, error) {
	return event.New("bench", uuid.Must(uuid.NewV7()).String(), now, event.KudosGiven{
		Giver: giver, Recipients: []string{recipient}, Message: benchMessage,
		Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		Period: "day:" + now.UTC().Format(time.DateOnly), Spent: 1,
	})
}

// benchKudosBody returns the JSON of a kudos envelope: the payload size the
// raw baseline publishes.
func benchKudosBody(tb testing.TB) []byte {
	tb.Helper()
	env, err := benchKudos("m-0000", "m-0001", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkRawJetStreamPublishAsync is the baseline of the give-kudos
// benchmarks: 64 publishers send kudos-sized messages with unique message ids
// on kudos-shaped subjects into the real stream configuration with
// PublishMsgAsync, and the clock stops when every acknowledgement is in. No
// expectation headers, no validation, no waiting per message.
func BenchmarkRawJetStreamPublishAsync(b *testing.B) {
	srv := testenv.NATS(b, "")
	st := testenv.Store(b, srv)
	js := st.JetStream()
	body := benchKudosBody(b)

	var (
		wg      sync.WaitGroup
		futures = make([][]jetstream.PubAckFuture, benchClients)
		errs    = make(chan error, benchClients)
	)
	b.ResetTimer()
	for w := range benchClients {
		n := benchShare(b.N, w)
		if n == 0 {
			continue
		}
		futures[w] = make([]jetstream.PubAckFuture, 0, n)
		wg.Go(func() {
			giver := fmt.Sprintf("m-%04d", w)
			for range n {
				id := uuid.Must(uuid.NewV7()).String()
				m := nats.NewMsg(event.KudosSubject("bench", giver, "given"))
				m.Data = body
				m.Header.Set(jetstream.MsgIDHeader, id)
				f, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute))
				if err != nil {
					errs <- fmt.Errorf("publish: %w", err)
					return
				}
				futures[w] = append(futures[w], f)
			}
		})
	}
	wg.Wait()
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatalf("acks still pending after a minute: %d", js.PublishAsyncPending())
	}
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
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
// path: 64 goroutines call Store.Append with kudos envelopes, each
// conditional on its giver's last sequence as GiveKudos appends them, one
// append at a time per goroutine. It has no validation, no allowance and no
// directory. Each goroutine owns its givers and rotates through them so that
// none gives more than benchHistoryPerGiver kudos at any b.N.
func BenchmarkAppendConditional(b *testing.B) {
	srv := testenv.NATS(b, "")
	st := testenv.Store(b, srv)
	givers := max(4, (b.N/benchClients+1+benchHistoryPerGiver-1)/benchHistoryPerGiver) // per goroutine
	members := givers * benchClients

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	b.ResetTimer()
	for w := range benchClients {
		wg.Go(func() {
			last := make([]uint64, givers)
			for i := range benchShare(b.N, w) {
				g := w + benchClients*(i%givers)
				giver := fmt.Sprintf("m-%04d", g)
				env, err := benchKudos(giver, fmt.Sprintf("m-%04d", (g+1)%members), time.Now())
				if err == nil {
					var a eventstore.Appended
					a, err = st.Append(context.Background(), eventstore.Pending{Event: env, Expect: &eventstore.Expectation{
						Filter: event.GiverFilter("bench", giver), Seq: last[i%givers],
					}})
					last[i%givers] = a.Seq
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("append: %v", firstErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// benchHistoryPerGiver bounds the kudos one giver has in the stream, so that
// the figure does not depend on b.N: the conditional append looks up the
// giver's last event under a wildcard, which costs the server more the more
// kudos the giver has. The give-kudos benchmarks use the same bound.
const benchHistoryPerGiver = 100

// benchShare is worker w's part of n operations split over benchClients
// workers.
func benchShare(n, w int) int {
	s := n / benchClients
	if w < n%benchClients {
		s++
	}
	return s
}
