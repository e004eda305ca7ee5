package relay_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// desired is the set of relays a test wants, changed as it goes; each
// relay records what it was sent under its tag.
type desired struct {
	mu    sync.Mutex
	specs map[string]relay.Spec
	fail  bool // reads fail
	reads int
	sent  map[string][]string // tag -> event ids
}

func newDesired() *desired {
	return &desired{specs: map[string]relay.Spec{}, sent: map[string][]string{}}
}

func (d *desired) read(context.Context) (map[string]relay.Spec, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	if d.fail {
		return nil, errors.New("the settings are unreadable")
	}
	out := map[string]relay.Spec{}
	for k, v := range d.specs {
		out[k] = v
	}
	return out, nil
}

// set desires the relay name, sending under tag; send, when not nil,
// decides the outcome before the event is recorded as sent.
func (d *desired) set(w *world, name, tag string, start time.Time, identity string, send func(event.Envelope) error) {
	r := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
		if send != nil {
			if err := send(env); err != nil {
				return err
			}
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		d.sent[tag] = append(d.sent[tag], env.ID)
		return nil
	})
	r.Name, r.Start = name, start
	d.mu.Lock()
	defer d.mu.Unlock()
	d.specs[name] = relay.Spec{Relay: *r, Identity: identity}
}

func (d *desired) pause(name string, paused bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.specs[name]
	s.Paused = paused
	d.specs[name] = s
}

func (d *desired) remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.specs, name)
}

func (d *desired) got(tag string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.sent[tag])
}

// waitSent waits until tag was sent the events want, in order, and
// nothing else.
func (d *desired) waitSent(t *testing.T, tag string, want ...string) {
	t.Helper()
	// 40s, not 10: a relay's consumer now and then takes a pull
	// request's expiry (30s) to offer the next event under load.
	if !testenv.Within(40*time.Second, func() bool { return slices.Equal(d.got(tag), want) }) {
		d.mu.Lock()
		defer d.mu.Unlock()
		t.Fatalf("%s sent %v, want %v (all: %v)", tag, d.sent[tag], want, d.sent)
	}
}

func withinTest(cond func() bool) bool { return testenv.Within(10*time.Second, cond) }

func (d *desired) readCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reads
}

// synced pokes s until it has synced on what d says now: the supervisor
// reads once more only after the sync of the read before.
func (d *desired) synced(t *testing.T, s *relay.Supervisor) {
	t.Helper()
	for range 2 {
		n := d.readCount()
		s.Poke()
		if !withinTest(func() bool { return d.readCount() > n }) {
			t.Fatal("not read again after a poke")
		}
	}
}

// supervise runs a Supervisor of d on w's stream until the test ends; it
// reads d only when poked (Resync is an hour), and tries again after 10ms.
func supervise(t *testing.T, w *world, d *desired, watch func(ctx context.Context, changed func()) error) *relay.Supervisor {
	t.Helper()
	s := &relay.Supervisor{
		Stream: w.store.Stream(), Desired: d.read, Watch: watch, Resync: time.Hour,
		Restart: func() backoff.BackOff { return backoff.NewConstantBackOff(10 * time.Millisecond) },
		Log:     slog.New(slog.DiscardHandler),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return s
}

func (w *world) consumer(t *testing.T, name string) (jetstream.ConsumerConfig, bool) {
	t.Helper()
	c, err := w.store.Stream().Consumer(context.Background(), name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return jetstream.ConsumerConfig{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.CachedInfo().Config, true
}

// TestSupervisorFollowsTheDesiredSet: a relay desired runs; one no longer
// desired stops and its consumer is deleted, so that desired again it
// starts afresh; a paused one stops but keeps its consumer, and resumes
// where it stopped.
func TestSupervisorFollowsTheDesiredSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	first := w.append(t)
	d.set(w, "a", "a1", time.Time{}, "", nil)
	s := supervise(t, w, d, nil)
	d.waitSent(t, "a1", first)

	d.pause("a", true)
	d.synced(t, s)
	paused := w.append(t)
	if _, ok := w.consumer(t, "a"); !ok {
		t.Fatal("a paused relay's consumer was deleted")
	}
	d.pause("a", false)
	s.Poke()
	d.waitSent(t, "a1", first, paused)

	d.remove("a")
	s.Poke()
	if !withinTest(func() bool { _, ok := w.consumer(t, "a"); return !ok }) {
		t.Fatal("the consumer of a relay no longer desired is still there")
	}
	removed := w.append(t)
	since := time.Now()
	d.set(w, "a", "a2", since, "", nil)
	s.Poke()
	later := w.append(t)
	d.waitSent(t, "a2", later)
	if slices.Contains(d.got("a1"), removed) {
		t.Error("an event appended while the relay was not desired was sent")
	}
}

// TestSupervisorKeepsWhatNeedsNoRestart: a Spec whose identity, start and
// filter are unchanged does not restart its relay (the relay started
// keeps sending, with what its Send remembers); a changed identity does.
func TestSupervisorKeepsWhatNeedsNoRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	d.set(w, "a", "v1", time.Time{}, "dest-1", nil)
	s := supervise(t, w, d, nil)
	e1 := w.append(t)
	d.waitSent(t, "v1", e1)

	d.set(w, "a", "v2", time.Time{}, "dest-1", nil) // same identity: kept
	d.synced(t, s)
	e2 := w.append(t)
	d.waitSent(t, "v1", e1, e2)

	d.set(w, "a", "v3", time.Time{}, "dest-2", nil) // restarted, from its checkpoint
	d.synced(t, s)
	e3 := w.append(t)
	d.waitSent(t, "v3", e3)
	if got := d.got("v2"); len(got) != 0 {
		t.Errorf("the relay restarted on a Spec that needed no restart: %v", got)
	}
}

// TestSupervisorMovesAChangedStart: a relay whose start changed, or whose
// consumer was left by another start (nats-server does not update a
// consumer's start time), gets a consumer made afresh at its start.
func TestSupervisorMovesAChangedStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	old := w.append(t)
	// A consumer left from an earlier start, before the supervisor ran.
	stale := w.relay(func(context.Context, event.Envelope, []byte) error { return nil })
	stale.Name, stale.Start = "a", time.Now().Add(-time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = stale.Run(ctx) }()
	if !withinTest(func() bool { _, ok := w.consumer(t, "a"); return ok }) {
		t.Fatal("no consumer")
	}
	cancel()
	<-ran

	start := time.Now()
	d.set(w, "a", "a1", start, "", nil)
	s := supervise(t, w, d, nil)
	e1 := w.append(t)
	d.waitSent(t, "a1", e1)
	if cfg, _ := w.consumer(t, "a"); cfg.OptStartTime == nil || !cfg.OptStartTime.Equal(start) {
		t.Errorf("consumer starts at %v, want %v", cfg.OptStartTime, start)
	}

	between := w.append(t)
	restart := time.Now()
	d.set(w, "a", "a2", restart, "", nil)
	d.synced(t, s)
	e2 := w.append(t)
	d.waitSent(t, "a2", e2)
	if slices.Contains(d.got("a2"), old) || slices.Contains(d.got("a2"), between) {
		t.Errorf("sent %v, from before its start", d.got("a2"))
	}
}

// TestSupervisorRestartsAnEndedRelay: a relay that ends on its own (its
// Send halted it) runs again after the backoff, and its event comes
// again from its checkpoint.
func TestSupervisorRestartsAnEndedRelay(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	var halts atomic.Int32
	d.set(w, "a", "a", time.Time{}, "", func(event.Envelope) error {
		if halts.Add(1) == 1 {
			return relay.Halt(errors.New("the token was revoked"))
		}
		return nil
	})
	supervise(t, w, d, nil)
	e := w.append(t)
	d.waitSent(t, "a", e)
	if n := halts.Load(); n != 2 {
		t.Errorf("%d attempts, want the halted one and one after the restart", n)
	}
}

// TestSupervisorReadsAgainAfterAFailure: a failed read is tried again
// without waiting for a change or the resync, and Ready says so until a
// read succeeds.
func TestSupervisorReadsAgainAfterAFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	d.fail = true
	d.set(w, "a", "a", time.Time{}, "", nil)
	s := supervise(t, w, d, nil)
	if !withinTest(func() bool { return s.Ready() != nil && d.readCount() >= 3 }) {
		t.Fatalf("Ready = %v after %d reads, want an error and reads again", s.Ready(), d.readCount())
	}
	e := w.append(t)
	d.mu.Lock()
	d.fail = false
	d.mu.Unlock()
	d.waitSent(t, "a", e)
	if err := s.Ready(); err != nil {
		t.Errorf("Ready = %v after a read succeeded", err)
	}
}

// TestSupervisorWatchesAgain: a watch that ends is made again, and a
// change it then reports is followed; Ready says the watch is down
// meanwhile.
func TestSupervisorWatchesAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := newDesired()
	var (
		watches  atomic.Int32
		fail     = make(chan struct{})
		secondUp = make(chan func(), 1)
		s        *relay.Supervisor
		downErr  error
	)
	watch := func(ctx context.Context, changed func()) error {
		switch watches.Add(1) {
		case 1:
			changed()
			<-fail
			return errors.New("the server went away")
		case 2:
			downErr = s.Ready()
			changed()
			secondUp <- changed
		}
		<-ctx.Done()
		return nil
	}
	s = supervise(t, w, d, watch)
	close(fail)
	var changed func()
	select {
	case changed = <-secondUp:
	case <-time.After(10 * time.Second):
		t.Fatal("not watched again")
	}
	if downErr == nil {
		t.Error("Ready was nil while the watch was down")
	}
	e := w.append(t)
	d.set(w, "a", "a", time.Time{}, "", nil)
	changed()
	d.waitSent(t, "a", e)
	if err := s.Ready(); err != nil {
		t.Errorf("Ready = %v once watched again", err)
	}
}
