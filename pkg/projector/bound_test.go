package projector

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestRunnerBoundAfterDeliveriesToNobody: deliveries the server makes on
// the runner's consumer after the runner decided how to bind it and before
// it pulls (to a pull request of an earlier binding or of a process gone,
// which nobody reads) are never acknowledged past: the runner's first
// message is not the delivery it expects, so it binds the consumer again
// after its store's last sequence, and every event is counted once. Both
// for a consumer the runner creates and for one it keeps, as a restarted
// runner whose store had applied all the consumer delivered does.
func TestRunnerBoundAfterDeliveriesToNobody(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	js := testenv.JetStream(t, srv)
	dir := t.TempDir()
	appendKudos(t, st, 10, "bo")
	for round, want := range []map[string]uint64{{"bo": 10, "cy": 5}, {"bo": 13, "cy": 10}} {
		r, err := New(tally{}, testConfig(st, dir, 0))
		if err != nil {
			t.Fatal(err)
		}
		var bindings, taken atomic.Int64
		setHook(t, r, func(p string) error {
			if p == hookBound && bindings.Add(1) == 1 {
				taken.Store(int64(testenv.TakeDeliveries(t, js, st.Stream().CachedInfo().Config.Name, r.ConsumerName(), 3,
					func(int) {
						if round > 0 { // the consumer has delivered all there was
							appendKudos(t, st, 3, "bo")
						}
					})))
			}
			return nil
		})
		stop := runInBackground(t, r)
		appendKudos(t, st, 5, "cy")
		waitApplied(t, r, streamLast(t, st), 10*time.Second)
		counts, _, applied := tallyOf(t, r)
		if counts["bo"] != want["bo"] || counts["cy"] != want["cy"] || applied != want["bo"]+want["cy"] {
			t.Fatalf("round %d: counts %v, applied %d; want %v (%d deliveries taken before the first pull)", round, counts, applied, want, taken.Load())
		}
		if bindings.Load() < 2 {
			t.Fatalf("round %d: the consumer was bound %d times, want it bound again after the lost deliveries", round, bindings.Load())
		}
		stop()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunnerConsumerDeletedWhileBusy: the consumer deleted while the runner
// is busy with a batch (its pulls all answered, none waiting on the
// server) is noticed when the next pull goes unanswered; the runner binds
// a new one after its store's last sequence and counts every event once.
func TestRunnerConsumerDeletedWhileBusy(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	appendKudos(t, st, 100, "bo")
	r, err := New(tally{}, testConfig(st, t.TempDir(), 8))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var deleted, bindings atomic.Int64
	setHook(t, r, func(p string) error {
		switch {
		case p == hookBound:
			bindings.Add(1)
		case p == hookBeforeCommit && deleted.Add(1) == 1:
			if err := st.Stream().DeleteConsumer(context.Background(), r.ConsumerName()); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond) // the intake fills up meanwhile
		}
		return nil
	})
	defer runInBackground(t, r)()
	waitApplied(t, r, streamLast(t, st), 30*time.Second)
	appendKudos(t, st, 5, "cy")
	waitApplied(t, r, streamLast(t, st), 10*time.Second)
	if counts, _, applied := tallyOf(t, r); counts["bo"] != 100 || counts["cy"] != 5 || applied != 105 {
		t.Fatalf("counts %v, applied %d; want bo 100, cy 5, 105 applied", counts, applied)
	}
	if bindings.Load() < 2 {
		t.Fatalf("the consumer was bound %d times, want it bound again once deleted", bindings.Load())
	}
}

// runInBackground runs r until the function it returns is called.
func runInBackground(t *testing.T, r *Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// waitApplied waits until r has applied seq, or fails t after timeout.
func waitApplied(t *testing.T, r *Runner, seq uint64, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.WaitFor(ctx, seq); err != nil {
		t.Fatalf("waiting for sequence %d: %v (at %d)", seq, err, r.LastSeq())
	}
}

// slowReplay is tally, slow when a rebuild replays: a rebuild's intake
// fills up and its callbacks wait, as in a large catch-up.
type slowReplay struct{ tally }

func (p slowReplay) Apply(ctx context.Context, tx *Tx, ev Event) error {
	if ev.Replay {
		time.Sleep(100 * time.Microsecond)
	}
	return p.tally.Apply(ctx, tx, ev)
}

// TestRebuildThroughReconnects: a rebuild reads an ordered consumer, which
// resets itself after each reconnection, and waits for a server that is
// away as it starts; the rebuilt store still holds every event once, in
// order.
func TestRebuildThroughReconnects(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	nc := testenv.Conn(t, srv)
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	appendKudos(t, st, 2000, "bo")
	// The first two attempts to open the rebuild's consumer are cut off,
	// as a request in flight is when the connection drops; the
	// reconnections come once the third is under way.
	var opens atomic.Int64
	third := make(chan struct{})
	r, stop := startRunner(t, slowReplay{}, testConfig(st, t.TempDir(), 8), func(p string) error {
		if p != hookReplayOpen {
			return nil
		}
		switch opens.Add(1) {
		case 1, 2:
			return nats.ErrDisconnected
		case 3:
			close(third)
		}
		return nil
	})
	defer stop()
	waitApplied(t, r, streamLast(t, st), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- r.Rebuild(context.Background()) }()
	select {
	case <-third:
	case err := <-done:
		t.Fatalf("rebuild ended before opening its consumer a third time: %v", err)
	}
	for range 8 {
		time.Sleep(25 * time.Millisecond)
		if err := nc.ForceReconnect(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("rebuild: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("rebuild still running after a minute")
	}
	if counts, last, applied := tallyOf(t, r); counts["bo"] != 2000 || applied != 2000 || last != streamLast(t, st) {
		t.Fatalf("after the rebuild: counts %v, applied %d, last %d; want bo 2000, 2000 applied up to %d", counts, applied, last, streamLast(t, st))
	}
}

// TestRebuildRefusedByTheServer: a refusal of the JetStream API to open the
// rebuild's consumer fails the rebuild at once, without retrying, and the
// live store goes on serving.
func TestRebuildRefusedByTheServer(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	appendKudos(t, st, 10, "bo")
	refusal := &jetstream.APIError{Code: 403, ErrorCode: 10001, Description: "permissions violation"}
	var opens atomic.Int64
	r, stop := startRunner(t, tally{}, testConfig(st, t.TempDir(), 0), func(p string) error {
		if p == hookReplayOpen {
			opens.Add(1)
			return refusal
		}
		return nil
	})
	defer stop()
	waitApplied(t, r, streamLast(t, st), 10*time.Second)
	if err := r.Rebuild(context.Background()); !errors.Is(err, refusal) {
		t.Fatalf("rebuild = %v, want the refusal", err)
	}
	if n := opens.Load(); n != 1 {
		t.Fatalf("the consumer was asked for %d times, want once", n)
	}
	if counts, _, applied := tallyOf(t, r); counts["bo"] != 10 || applied != 10 {
		t.Fatalf("after the refused rebuild: counts %v, applied %d; want bo 10, 10 applied", counts, applied)
	}
}
