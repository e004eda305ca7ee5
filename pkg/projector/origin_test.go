package projector

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// originWait bounds how long the tests below wait for the runner: binding
// again after the stream is gone backs off for up to a few seconds.
const originWait = 20 * time.Second

// waitUntil waits for cond, checking it every few milliseconds, for at
// most originWait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(originWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-tick.C
	}
}

// resetGate holds a runner that found its store stale at hookReset, before
// it empties the store, until released: the stale state, which otherwise
// lasts only for as long as the reset takes, can then be looked at.
type resetGate struct {
	once     sync.Once
	reached  chan struct{}
	released chan struct{}
}

func newResetGate() *resetGate {
	return &resetGate{reached: make(chan struct{}), released: make(chan struct{})}
}

func (g *resetGate) hook(point string) error {
	if point == hookReset {
		g.once.Do(func() { close(g.reached) })
		<-g.released
	}
	return nil
}

func (g *resetGate) wait(t *testing.T) {
	t.Helper()
	select {
	case <-g.reached:
	case <-time.After(originWait):
		t.Fatal("the runner did not find its store stale")
	}
}

// resetTally is tally with state beside its store (Resetter): it counts
// the Resets.
type resetTally struct {
	tally
	resets *atomic.Int32
}

func (p resetTally) Reset() { p.resets.Add(1) }

// originStream starts a server whose event stream holds n kudos to
// recipient, and returns it with the stream and a Config for runners of it
// (batches of 8).
func originStream(t *testing.T, n int, recipient string) (*natsembed.Server, *eventstore.Store, Config) {
	t.Helper()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	appendKudos(t, st, n, recipient)
	return srv, st, testConfig(st, t.TempDir(), 8)
}

// startRunner starts a runner of p on cfg with hook (none when nil), and
// returns it with the function that stops it and closes its store (also at
// the end of the test).
func startRunner(t *testing.T, p Projection, cfg Config, hook func(string) error) (*Runner, func()) {
	t.Helper()
	r, err := New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	setHook(t, r, hook)
	stop := startRun(t, r)
	return r, stop
}

// startRun runs r until the returned function stops it and closes its
// store (also at the end of the test).
func startRun(t *testing.T, r *Runner) func() {
	t.Helper()
	run := runInBackground(t, r)
	var once sync.Once
	stop := func() { once.Do(func() { run(); r.Close() }) }
	t.Cleanup(stop)
	return stop
}

// caughtUpWith waits until r has applied st to its end and serves.
func caughtUpWith(t *testing.T, r *Runner, st *eventstore.Store) {
	t.Helper()
	last := streamLast(t, st)
	ctx, cancel := context.WithTimeout(context.Background(), originWait)
	defer cancel()
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatalf("wait for %d: %v (at %d, fault %v)", last, err, r.LastSeq(), r.Fault())
	}
	waitUntil(t, "the projection serves", func() bool { return r.Fault() == nil })
}

// notAnswered checks that a read for min_seq minSeq is not answered from
// r's store as it is: it must wait, and be refused when its time is up.
func notAnswered(t *testing.T, r *Runner, minSeq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := ReadYourWrites(ctx, r, minSeq)
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Status != http.StatusServiceUnavailable {
		t.Fatalf("a min_seq=%d read against the store at %d answered %v, want a 503 refusal", minSeq, r.LastSeq(), err)
	}
}

// waitStale waits until r, held at gate before it empties its store, and
// checks that it says the stream was replaced and answers no min_seq read.
func waitStale(t *testing.T, r *Runner, gate *resetGate) {
	t.Helper()
	gate.wait(t)
	if err := r.Fault(); !errors.Is(err, ErrStreamReplaced) {
		t.Errorf("fault = %v, want %v", err, ErrStreamReplaced)
	}
	notAnswered(t, r, 3)
}

// recordedStream is the stream creation time the store of r records.
func recordedStream(t *testing.T, r *Runner) int64 {
	t.Helper()
	var created uint64
	if err := r.View(func(rd *Reader) (err error) {
		created, err = readU64(rd.r, keyStreamCreated)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return int64(created)
}

func streamCreated(t *testing.T, st *eventstore.Store) int64 {
	t.Helper()
	info, err := st.Stream().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.Created.UnixNano()
}

// recreateStream creates the event stream again, as an engine starting
// does. Just after a stream is deleted, creating one of the same name now
// and then fails for a moment ("error creating store for stream", seen
// with the tests running in parallel): it is tried again until it works.
func recreateStream(t *testing.T, srv *natsembed.Server) *eventstore.Store {
	t.Helper()
	nc := testenv.Conn(t, srv)
	var st *eventstore.Store
	waitUntil(t, "the stream can be created again", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		st, err = eventstore.Open(ctx, nc, eventstore.Config{})
		if err != nil {
			t.Logf("creating the stream again: %v", err)
		}
		return err == nil
	})
	return st
}

// checkRebuiltFrom checks that r reflects st and nothing else: cy's kudos,
// as many as st holds events, up to st's last sequence.
func checkRebuiltFrom(t *testing.T, r *Runner, st *eventstore.Store, events int) {
	t.Helper()
	counts, last, applied := tallyOf(t, r)
	if want := map[string]uint64{"cy": uint64(events)}; !maps.Equal(counts, want) {
		t.Errorf("counts = %v, want %v: only the stream there now", counts, want)
	}
	if want := streamLast(t, st); last != want || r.LastSeq() != want || applied != uint64(events) {
		t.Errorf("store at %d (runner %d), %d applied; want the stream's last sequence %d, %d applied", last, r.LastSeq(), applied, want, events)
	}
	if got, want := recordedStream(t, r), streamCreated(t, st); got != want {
		t.Errorf("the store records the stream created at %d, want %d", got, want)
	}
}

// TestStreamReplacedRebuildsStore deletes the event stream under a
// projection's store and creates it again, with fewer events than the
// store's checkpoint or with more (then only the creation time tells the
// streams apart), while the runner runs or while none does (an engine
// restarting). The runner must say the stream is gone, then that the store
// is stale, answer no min_seq read from it meanwhile, and rebuild it from
// the new stream alone.
func TestStreamReplacedRebuildsStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		before, after int  // events in the stream, and in the one replacing it
		stopped       bool // replaced while no runner ran
	}{
		{"fewer events, while running", 30, 3, false},
		{"more events, while running", 5, 8, false},
		{"fewer events, while stopped", 30, 3, true},
		{"more events, while stopped", 5, 8, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// The same recipient before and after: a count carried over
			// from the stream that was (in the store or in the runner's
			// read cache) shows.
			srv, st, cfg := originStream(t, tt.before, "cy")
			gate := newResetGate()
			p := resetTally{resets: new(atomic.Int32)}
			r, stop := startRunner(t, p, cfg, gate.hook)
			caughtUpWith(t, r, st)
			if got, want := recordedStream(t, r), streamCreated(t, st); got != want {
				t.Fatalf("the store records the stream created at %d, want %d", got, want)
			}
			if tt.stopped {
				stop()
			}

			if err := st.JetStream().DeleteStream(ctx, st.Name()); err != nil {
				t.Fatal(err)
			}
			if !tt.stopped {
				waitUntil(t, "the runner says the stream is gone", func() bool { return errors.Is(r.Fault(), ErrStreamGone) })
				notAnswered(t, r, 3)
			}
			st2 := recreateStream(t, srv)
			appendKudos(t, st2, tt.after, "cy")
			if tt.stopped {
				// A new runner on the stale store: its checkpoint is of
				// the stream that was, and must not answer before it is
				// checked.
				cfg.Stream = st2
				var err error
				if r, err = New(p, cfg); err != nil {
					t.Fatal(err)
				}
				if r.LastSeq() != uint64(tt.before) || r.Fault() == nil {
					t.Fatalf("a new runner on the stale store: at %d, fault %v", r.LastSeq(), r.Fault())
				}
				notAnswered(t, r, 3)
				setHook(t, r, gate.hook)
				startRun(t, r)
			}

			waitStale(t, r, gate)
			if err := r.Rebuild(ctx); !errors.Is(err, ErrStreamReplaced) {
				t.Errorf("a rebuild of the stale store: %v, want %v", err, ErrStreamReplaced)
			}
			if n := p.resets.Load(); n != 0 {
				t.Errorf("the projection was reset %d times before the store was emptied", n)
			}
			close(gate.released)

			caughtUpWith(t, r, st2)
			checkRebuiltFrom(t, r, st2, tt.after)
			if n := p.resets.Load(); n != 1 {
				t.Errorf("the projection was reset %d times, want once, with its store", n)
			}
			if err := ReadYourWrites(ctx, r, 3); err != nil {
				t.Errorf("a min_seq=3 read once rebuilt: %v", err)
			}
			// And it goes on from there.
			appendKudos(t, st2, 2, "cy")
			caughtUpWith(t, r, st2)
			checkRebuiltFrom(t, r, st2, tt.after+2)
		})
	}
}

// TestStreamBehindStoreRebuildsStore restores the event stream from an
// older copy of the server's storage: the same stream, by its creation
// time, but ending before the store's checkpoint. The runner must refuse
// the store and rebuild it from the stream as it is.
func TestStreamBehindStoreRebuildsStore(t *testing.T) {
	t.Parallel()
	natsDir, backup := t.TempDir(), t.TempDir()
	cfg := testConfig(nil, t.TempDir(), 8)

	srv := testenv.NATS(t, natsDir)
	st := testenv.Store(t, srv)
	appendKudos(t, st, 5, "cy")
	created := streamCreated(t, st)
	srv.Shutdown()
	if err := os.CopyFS(backup, os.DirFS(natsDir)); err != nil {
		t.Fatal(err)
	}

	srv = testenv.NATS(t, natsDir)
	st = testenv.Store(t, srv)
	appendKudos(t, st, 20, "bo")
	cfg.Stream = st
	r, stop := startRunner(t, tally{}, cfg, nil)
	caughtUpWith(t, r, st)
	stop()
	srv.Shutdown()

	// The server's storage restored from the copy.
	if err := os.RemoveAll(natsDir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(natsDir, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	st = testenv.Store(t, testenv.NATS(t, natsDir))
	if got, last := streamCreated(t, st), streamLast(t, st); got != created || last != 5 {
		t.Fatalf("the restored stream was created at %d and ends at %d, want %d and 5", got, last, created)
	}

	cfg.Stream = st
	r, err := New(tally{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.LastSeq() != 25 {
		t.Fatalf("the store is at %d, want 25", r.LastSeq())
	}
	notAnswered(t, r, 3)
	gate := newResetGate()
	setHook(t, r, gate.hook)
	startRun(t, r)
	waitStale(t, r, gate)
	close(gate.released)
	caughtUpWith(t, r, st)
	checkRebuiltFrom(t, r, st, 5)
}

// TestStoreWithoutStreamAdoptsIt: a store of an older version, which
// records no stream, takes the stream there as its own, keeping what it
// has applied.
func TestStoreWithoutStreamAdoptsIt(t *testing.T) {
	t.Parallel()
	_, st, cfg := originStream(t, 5, "cy")
	r, stop := startRunner(t, tally{}, cfg, nil)
	caughtUpWith(t, r, st)
	stop()

	db, err := openStore(StorePath(cfg.Dir, tally{}.Name()), tally{}, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(bucketKey(metaBucket, keyStreamCreated), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	r, _ = startRunner(t, tally{}, cfg, func(point string) error {
		if point == hookReset {
			t.Error("a store without a recorded stream, not ahead of it, was emptied")
		}
		return nil
	})
	caughtUpWith(t, r, st)
	checkRebuiltFrom(t, r, st, 5)
}

// TestRebuildEndsWhenStreamReplaced replaces the stream under a rebuild
// that has not opened its consumer yet: it would read the new stream and
// wait, for ever, for the live store's checkpoint. The runner, finding the
// stream gone or replaced, must end it, and rebuild the store itself.
func TestRebuildEndsWhenStreamReplaced(t *testing.T) {
	t.Parallel()
	srv, st, cfg := originStream(t, 30, "bo")
	var replaced sync.Once
	var st2 *eventstore.Store
	r, _ := startRunner(t, tally{}, cfg, func(point string) error {
		if point == hookReplayOpen {
			replaced.Do(func() {
				if err := st.JetStream().DeleteStream(context.Background(), st.Name()); err != nil {
					t.Error(err)
				}
				st2 = recreateStream(t, srv)
				appendKudos(t, st2, 3, "cy")
			})
		}
		return nil
	})
	caughtUpWith(t, r, st)

	ctx, cancel := context.WithTimeout(context.Background(), originWait)
	defer cancel()
	err := r.Rebuild(ctx)
	if !errors.Is(err, ErrStreamGone) && !errors.Is(err, ErrStreamReplaced) {
		t.Fatalf("the rebuild ended with %v, want it ended by the runner: %v or %v", err, ErrStreamGone, ErrStreamReplaced)
	}
	caughtUpWith(t, r, st2)
	checkRebuiltFrom(t, r, st2, 3)
}
