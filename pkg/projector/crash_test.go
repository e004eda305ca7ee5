package projector

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// tally counts kudos per recipient, and fails on a recipient named
// "poison", to exercise dead-lettering of events that break a rule.
type tally struct{}

var bTally = []byte("tally")

func (tally) Name() string { return "tally" }

// Filters: every kudos given, of every tenant and giver.
func (tally) Filters() []string {
	return []string{event.KudosSubject("*", "*", "given")}
}

func (tally) Apply(_ context.Context, tx *Tx, ev Event) error {
	k := ev.Data.(event.KudosGiven)
	for _, r := range k.Recipients {
		if r == "poison" {
			return fmt.Errorf("recipient %q breaks the rule", r)
		}
		var n uint64
		if v := tx.Get(bTally, []byte(r)); v != nil {
			n = binary.BigEndian.Uint64(v)
		}
		if err := tx.Put(bTally, []byte(r), binary.BigEndian.AppendUint64(nil, n+1)); err != nil {
			return err
		}
	}
	return nil
}

func appendKudos(t *testing.T, st *eventstore.Store, n int, to ...string) {
	t.Helper()
	for range n {
		env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(),
			event.KudosGiven{Giver: "ana", Recipients: to, Message: "Thanks for the runbook update", Values: []string{}, Points: 1,
				Visibility: event.Public, Channel: event.ChannelAPI, Period: "day:2026-11-23", Spent: len(to)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(context.Background(), eventstore.Pending{Event: env}); err != nil {
			t.Fatal(err)
		}
	}
}

func streamLast(t *testing.T, st *eventstore.Store) uint64 {
	t.Helper()
	info, err := st.Stream().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// tallyOf reads the counts and the runtime's own keys of a store.
func tallyOf(t *testing.T, r *Runner) (counts map[string]uint64, last, applied uint64) {
	t.Helper()
	counts = map[string]uint64{}
	err := r.View(func(rd *Reader) error {
		var err error
		if last, err = readU64(rd.r, keyLastSeq); err != nil {
			return err
		}
		if applied, err = readU64(rd.r, keyApplied); err != nil {
			return err
		}
		rd.Ascend(bTally, nil, func(k, v []byte) bool {
			counts[string(k)] = binary.BigEndian.Uint64(v)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts, last, applied
}

var errCrash = errors.New("simulated crash")

// testConfig is a runner's Config on st in dir, in batches of batch events
// (0: the default), logging nothing, with metrics of its own.
func testConfig(st *eventstore.Store, dir string, batch int) Config {
	return Config{Stream: st, Dir: dir, Batch: batch, Logger: slog.New(slog.DiscardHandler), Metrics: NewMetrics(prometheus.NewRegistry())}
}

// crashableRunner is a runner of p on cfg that reads the stream through a
// connection of its own to srv, as a process of its own would, and the
// function that ends that process once the runner has stopped: it closes
// the store and the connection, and waits until the server has dropped the
// connection's pull requests.
func crashableRunner(t *testing.T, srv *natsembed.Server, p Projection, cfg Config) (*Runner, func()) {
	t.Helper()
	seen := cfg.Stream
	nc := testenv.Conn(t, srv)
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Stream = st
	r, err := New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, func() {
		t.Helper()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		nc.Close()
		waitNoPullRequests(t, seen, r.ConsumerName())
	}
}

// waitNoPullRequests waits until the server has dropped the pull requests
// of a closed connection (it does when it sees the connection gone), so that
// no event is delivered to them later.
func waitNoPullRequests(t *testing.T, st *eventstore.Store, consumer string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := st.Stream().Consumer(context.Background(), consumer)
		if err != nil {
			t.Fatal(err)
		}
		if c.CachedInfo().NumWaiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pull requests of a closed connection still waiting", c.CachedInfo().NumWaiting)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCrashRestartCountsExactly kills a projector at each point where a
// crash matters, restarts a new Runner on the same store file and checks
// that every event is counted exactly once: a crash before the commit
// loses the batch's work but not its events, a crash after the commit and
// before the ack counts nothing twice.
func TestCrashRestartCountsExactly(t *testing.T) {
	t.Parallel()
	for _, point := range []string{hookBeforeCommit, hookAfterCommit} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			srv := testenv.NATS(t, "")
			st := testenv.Store(t, srv)
			ctx := context.Background()
			if _, err := EnsureDeadLetterStream(ctx, st.JetStream(), 1); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cfg := testConfig(st, dir, 8)

			appendKudos(t, st, 20, "bo")
			// The first runner has a connection of its own, which dies
			// with it, as a crashed process's would.
			r1, die := crashableRunner(t, srv, tally{}, cfg)
			// The hook fires once armed: it stops the runner where a
			// crash would, without committing (before-commit) or without
			// acknowledging (after-commit).
			var armed atomic.Bool
			var before atomic.Uint64   // the last sequence before arming
			var crashedAt atomic.Value // string
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			setHook(t, r1, func(p string) error {
				// After the commit, only a batch with events past before:
				// the one that reached before may still be on its way
				// from commit to ack.
				if p == point && (p == hookBeforeCommit || r1.LastSeq() > before.Load()) && armed.CompareAndSwap(true, false) {
					crashedAt.Store(p)
					cancel()
					return errCrash
				}
				return nil
			})
			var wg sync.WaitGroup
			wg.Go(func() {
				if err := r1.Run(runCtx); err != nil {
					t.Errorf("run: %v", err)
				}
			})
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			defer wcancel()
			if err := r1.WaitFor(wctx, streamLast(t, st)); err != nil {
				t.Fatalf("first runner: %v", err)
			}
			before.Store(r1.LastSeq())
			armed.Store(true)
			appendKudos(t, st, 30, "bo", "cy")
			wg.Wait()
			if crashedAt.Load() != point {
				t.Fatalf("the runner stopped without crashing at %s", point)
			}
			counts, last, applied := tallyOf(t, r1)
			switch point {
			case hookBeforeCommit:
				if last != before.Load() || counts["bo"] != 20 || counts["cy"] != 0 || applied != 20 {
					t.Fatalf("after a crash before the commit: last %d (want %d), counts %v, applied %d", last, before.Load(), counts, applied)
				}
			case hookAfterCommit:
				if last <= before.Load() || counts["cy"] == 0 || applied != counts["bo"] || counts["bo"]-counts["cy"] != 20 {
					t.Fatalf("after a crash after the commit: last %d (before %d), counts %v, applied %d", last, before.Load(), counts, applied)
				}
			}
			die()

			// More events arrive while the projector is down; then a new
			// runner takes over the same store file and durable consumer.
			appendKudos(t, st, 10, "cy")
			r2, err := New(tally{}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx2, cancel2 := context.WithCancel(ctx)
			var wg2 sync.WaitGroup
			wg2.Go(func() {
				if err := r2.Run(ctx2); err != nil {
					t.Errorf("run: %v", err)
				}
			})
			defer func() { cancel2(); wg2.Wait(); r2.Close() }()
			want := streamLast(t, st)
			wctx2, wcancel2 := context.WithTimeout(ctx, 10*time.Second)
			defer wcancel2()
			if err := r2.WaitFor(wctx2, want); err != nil {
				t.Fatalf("restarted runner: %v (at %d of %d)", err, r2.LastSeq(), want)
			}
			// What the first runner left unacknowledged is redelivered only
			// after the runtime's AckWait, long after this test ends:
			// TestRedeliveredCommittedBatchCountsOnce makes that happen.
			counts, last, applied = tallyOf(t, r2)
			if counts["bo"] != 50 || counts["cy"] != 40 || last != want || applied != 60 {
				t.Fatalf("after restart: counts %v (want bo 50, cy 40), last %d (want %d), applied %d (want 60)", counts, last, want, applied)
			}
			s, err := r2.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Lag != 0 || s.Applied != 60 || s.DeadLettered != 0 {
				t.Fatalf("status %+v", s)
			}
		})
	}
}
