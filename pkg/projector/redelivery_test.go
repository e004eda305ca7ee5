package projector

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestRedeliveredCommittedBatchCountsOnce: a projector that dies between
// committing a batch and acknowledging it leaves the batch unacknowledged,
// and JetStream delivers it again. The next runner on the same store is
// handed the redelivered events and, right behind them, events it has never
// seen (JetStream serves redeliveries before new messages), so that one
// batch holds both: a batch of nothing but applied events would commit
// nothing anyway. Each event counts once: the sequence the store has
// applied, not what was acknowledged, decides what is applied.
//
// The redelivery is made to happen now rather than after the runtime's
// AckWait: while no runner is bound, the test shortens the consumer's
// AckWait, takes the redelivered messages itself and naks them, waiting for
// the server to confirm each nak, so that they wait at the head of the
// consumer's queue when the next runner pulls.
func TestRedeliveredCommittedBatchCountsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	nc := testenv.Conn(t, srv)
	cfg := testConfig(st, t.TempDir(), 0)
	appendKudos(t, st, 5, "bo")
	committed := streamLast(t, st)

	// The first runner has a connection of its own, which dies with it, and
	// stops where a crash would: after the commit of the batch that reaches
	// committed, before its acknowledgement.
	r1, die := crashableRunner(t, srv, tally{}, cfg)
	runCtx, crash := context.WithCancel(ctx)
	defer crash()
	var crashed atomic.Bool
	setHook(t, r1, func(p string) error {
		if p == hookAfterCommit && r1.LastSeq() >= committed && crashed.CompareAndSwap(false, true) {
			crash()
			return errCrash
		}
		return nil
	})
	ran := make(chan error, 1)
	go func() { ran <- r1.Run(runCtx) }()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("first runner: %v", err)
		}
	case <-time.After(30 * time.Second):
		crash()
		t.Fatalf("the first runner did not reach %d in 30s (at %d)", committed, r1.LastSeq())
	}
	if !crashed.Load() {
		t.Fatal("the first runner stopped without crashing after its commit")
	}
	if counts, last, _ := tallyOf(t, r1); counts["bo"] != 5 || last != committed {
		t.Fatalf("before the crash: counts %v, last %d; want bo 5 up to %d", counts, last, committed)
	}
	die()

	cons, err := st.Stream().Consumer(ctx, r1.ConsumerName())
	if err != nil {
		t.Fatal(err)
	}
	info := cons.CachedInfo()
	unacked := info.NumAckPending
	if unacked == 0 || info.AckFloor.Stream >= committed {
		t.Fatalf("the committed batch was acknowledged: %d unacknowledged, ack floor %d", unacked, info.AckFloor.Stream)
	}
	runtimeCfg := info.Config
	setAckWait := func(d time.Duration) {
		t.Helper()
		c := runtimeCfg
		c.AckWait = d
		if _, err := st.Stream().UpdateConsumer(ctx, c); err != nil {
			t.Fatalf("ack wait %v: %v", d, err)
		}
	}
	setAckWait(50 * time.Millisecond)
	batch, err := cons.Fetch(unacked, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	redelivered := map[uint64]bool{} // stream sequences
	for m := range batch.Messages() {
		md, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if md.NumDelivered < 2 || md.Sequence.Stream > committed {
			t.Fatalf("stream sequence %d, delivered %d times: want a redelivery of the committed batch", md.Sequence.Stream, md.NumDelivered)
		}
		// A nak sent as a request is answered once the server has queued
		// the message for redelivery.
		if _, err := nc.Request(m.Reply(), []byte("-NAK"), 5*time.Second); err != nil {
			t.Fatalf("nak of %d: %v", md.Sequence.Stream, err)
		}
		redelivered[md.Sequence.Stream] = true
	}
	if err := batch.Error(); err != nil || len(redelivered) == 0 {
		t.Fatalf("%d of %d unacknowledged events redelivered: %v", len(redelivered), unacked, err)
	}
	setAckWait(runtimeCfg.AckWait)

	// Events the store has never seen, queued behind the redeliveries.
	appendKudos(t, st, 3, "bo", "cy")
	want := streamLast(t, st)
	info, err = cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deliveredBefore := info.Delivered.Consumer

	r2, stop := startRunner(t, tally{}, cfg, nil)
	defer stop()
	waitApplied(t, r2, want, 30*time.Second)
	// The redeliveries come before the new events, so they are in by now.
	counts, last, applied := tallyOf(t, r2)
	if counts["bo"] != 8 || counts["cy"] != 3 || last != want || applied != 8 {
		t.Fatalf("after the redelivery: counts %v, last %d, applied %d; want bo 8, cy 3, last %d, 8 applied", counts, last, applied, want)
	}
	info, err = cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.Delivered.Consumer - deliveredBefore; n < uint64(len(redelivered))+3 {
		t.Fatalf("the second runner was delivered %d messages, want the %d redelivered and 3 new", n, len(redelivered))
	}
}
