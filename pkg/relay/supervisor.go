package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// DefaultResync is how often a Supervisor reads the desired relays again
// when nothing told it of a change.
const DefaultResync = 30 * time.Second

// Spec is one relay a Supervisor should keep: what to run, and what
// makes a running one stale.
type Spec struct {
	// Relay is what runs. A Supervisor keeps the Relay it started for as
	// long as the relay's Identity, Start, Filter and Tenant stay the
	// same, also across restarts after an error: whatever else may
	// change without a restart (a token, a channel, a URL) its Send
	// reads from state the caller keeps current, an atomic.Pointer its
	// Desired stores into, say.
	Relay Relay
	// Identity is what forces a restart when it changes, beyond Start,
	// Filter and Tenant (which always do); "" when nothing does.
	Identity string
	// Paused keeps the relay's durable consumer (its checkpoint) but
	// does not run it: it resumes where it stopped once unpaused.
	Paused bool
}

// Supervisor keeps a changing set of relays running: each sync it reads
// the desired relays (Desired) and starts the new ones, stops those no
// longer desired and deletes their durable consumers, and restarts those
// whose Spec changed so that a restart is needed. A relay whose Start
// changed, or whose consumer was left from another start (JetStream does
// not move a durable's start time), has its consumer deleted and made
// afresh. A relay that ends on its own (Send halted it, or the server
// went away) is run again after a backoff (Restart); its consumer stays.
//
// It syncs when Run starts, whenever Watch or Poke says something
// changed, and every Resync. A failed read is tried again after a
// backoff; a watch that ends is made again after a backoff. Between
// syncs the relays run as they were.
//
// Several engines may supervise the same relays: each relay is one
// durable consumer with one event in flight, whichever engine holds it.
// A relay removed while no supervisor ran keeps its consumer (nothing
// reads it) until a relay of its name is desired again, when its start
// decides whether it is kept or made afresh.
//
// The zero value is not usable: set Stream and Desired. Its methods are
// safe for concurrent use; Run is called once.
type Supervisor struct {
	// Stream holds the relays' durable consumers.
	Stream jetstream.Stream
	// Desired returns the relays that should exist now, by name (the
	// name must be the Relay's Name). It is called from one goroutine at
	// a time. An error leaves the relays as they are.
	Desired func(ctx context.Context) (map[string]Spec, error)
	// Watch, when set, blocks while it watches what Desired reads,
	// calling changed once the watch is in place and after each change,
	// until ctx ends or the watch fails (its error, or nil when the
	// server ended it). Run watches again after a backoff.
	Watch func(ctx context.Context, changed func()) error
	// Resync is how often Desired is read whatever Watch says;
	// DefaultResync when zero.
	Resync time.Duration
	// Restart makes the schedule on which a relay that ended on its own
	// is run again, and a failed read or watch tried again; from a
	// second, doubling, to a minute apart when nil.
	Restart func() backoff.BackOff
	Log     *slog.Logger
	// TracerProvider is handed to each relay that has none of its own
	// (Relay.TracerProvider); nil traces nothing.
	TracerProvider trace.TracerProvider

	once  sync.Once
	poke  chan struct{}
	mu    sync.Mutex
	down  error // why the supervisor does not follow the desired relays
	watch error // the watch is down
}

// supervised is a relay a Supervisor runs.
type supervised struct {
	spec Spec
	stop context.CancelFunc
	done chan struct{}
}

func (s *Supervisor) init() {
	s.once.Do(func() {
		s.poke = make(chan struct{}, 1)
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Poke asks for a sync now (a setting changed in this process, say). It
// does not block; pokes while one is pending are one sync.
func (s *Supervisor) Poke() {
	s.init()
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Ready is nil while the supervisor follows the desired relays: the
// last read succeeded and the watch, if any, is in place.
func (s *Supervisor) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.down, s.watch)
}

func (s *Supervisor) setDown(err error) {
	s.mu.Lock()
	s.down = err
	s.mu.Unlock()
}

func (s *Supervisor) setWatch(err error) {
	s.mu.Lock()
	s.watch = err
	s.mu.Unlock()
}

func (s *Supervisor) restart() backoff.BackOff {
	if s.Restart != nil {
		return s.Restart()
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = time.Second, time.Minute, 0
	return b
}

// Run supervises until ctx ends, then stops every relay, waits for them
// to stop, and returns nil; the consumers are kept, so that the relays
// resume from their checkpoints. It blocks.
func (s *Supervisor) Run(ctx context.Context) error {
	s.init()
	live, known := map[string]*supervised{}, map[string]bool{}
	defer func() {
		for _, r := range live {
			r.stop()
		}
		for _, r := range live {
			<-r.done
		}
	}()
	var watching sync.WaitGroup
	defer watching.Wait()
	if s.Watch != nil {
		watching.Add(1)
		go func() {
			defer watching.Done()
			s.watchLoop(ctx)
		}()
	}
	resync := s.Resync
	if resync <= 0 {
		resync = DefaultResync
	}
	tick := time.NewTicker(resync)
	defer tick.Stop()
	retries := s.restart()
	var retry <-chan time.Time
	for {
		specs, err := s.Desired(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.setDown(fmt.Errorf("relay: desired relays unreadable: %w", err))
			wait := retries.NextBackOff()
			if wait == backoff.Stop {
				wait = resync
			}
			s.Log.Warn("desired relays unreadable; relays unchanged, reading again", "err", err, "retry_in", wait.String())
			retry = time.After(wait)
		default:
			s.setDown(nil)
			retries.Reset()
			retry = nil
			s.sync(ctx, live, known, specs)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.poke:
		case <-tick.C:
		case <-retry:
		}
	}
}

// watchLoop keeps the watch in place until ctx ends.
func (s *Supervisor) watchLoop(ctx context.Context) {
	retries := s.restart()
	for {
		up := false
		err := s.Watch(ctx, func() {
			if !up {
				up = true
				s.setWatch(nil)
				retries.Reset()
			}
			s.Poke()
		})
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the server ended it")
		}
		s.setWatch(fmt.Errorf("relay: watch down: %w", err))
		wait := retries.NextBackOff()
		if wait == backoff.Stop {
			wait = time.Minute
		}
		s.Log.Warn("watch ended; relays unchanged, watching again", "err", err, "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		// What changed while the watch was down is read on the watch's
		// first call of changed.
	}
}

// sync makes live what specs say; known are the names of the relays the
// last sync desired, paused or not, and become those of specs.
func (s *Supervisor) sync(ctx context.Context, live map[string]*supervised, known map[string]bool, specs map[string]Spec) {
	for name, r := range live {
		spec, ok := specs[name]
		if ok && !spec.Paused && !stale(r.spec, spec) {
			continue
		}
		r.stop()
		<-r.done
		delete(live, name)
		switch {
		case ok && spec.Paused:
			s.Log.Info("relay paused", "relay", name, "tenant", spec.Relay.Tenant)
		case ok:
			// A changed Start is seen when it starts again (prepare).
			s.Log.Info("relay restarted: its settings changed", "relay", name, "tenant", spec.Relay.Tenant)
		}
	}
	for name := range known {
		if _, ok := specs[name]; !ok {
			s.forget(ctx, name)
			delete(known, name)
		}
	}
	for name, spec := range specs {
		known[name] = true
		if spec.Paused || live[name] != nil {
			continue
		}
		if spec.Relay.Name != name {
			s.Log.Error("relay not started: its name is not its key", "relay", spec.Relay.Name, "key", name)
			continue
		}
		if spec.Relay.TracerProvider == nil {
			spec.Relay.TracerProvider = s.TracerProvider
		}
		rctx, stop := context.WithCancel(ctx)
		r := &supervised{spec: spec, stop: stop, done: make(chan struct{})}
		live[name] = r
		go func() {
			defer close(r.done)
			s.keep(rctx, &r.spec.Relay)
		}()
	}
}

// stale reports whether a running relay of spec a must restart to be b.
func stale(a, b Spec) bool {
	return a.Identity != b.Identity || !a.Relay.Start.Equal(b.Relay.Start) ||
		a.Relay.Filter != b.Relay.Filter || a.Relay.Tenant != b.Relay.Tenant
}

// keep runs r until ctx ends, again after a backoff whenever it ends.
func (s *Supervisor) keep(ctx context.Context, r *Relay) {
	retries := s.restart()
	for {
		err := s.prepare(ctx, r)
		if err == nil {
			err = r.Run(ctx)
			if err == nil {
				err = errors.New("the relay ended")
			}
		}
		if ctx.Err() != nil {
			return
		}
		wait := retries.NextBackOff()
		if wait == backoff.Stop {
			wait = time.Minute
		}
		s.Log.Error("relay stopped; it runs again later", "relay", r.Name, "tenant", r.Tenant, "err", err, "restart_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// prepare deletes r's durable consumer when it starts elsewhere than r:
// nats-server refuses to change a consumer's start ("start time can not
// be updated"), and the relay must start where its Spec says.
func (s *Supervisor) prepare(ctx context.Context, r *Relay) error {
	cons, err := s.Stream.Consumer(ctx, r.Name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("relay %s: consumer: %w", r.Name, err)
	}
	cfg := cons.CachedInfo().Config
	if sameStart(cfg, r.Start) {
		return nil
	}
	s.Log.Info("relay consumer made afresh: its start changed", "relay", r.Name, "tenant", r.Tenant)
	if err := s.Stream.DeleteConsumer(ctx, r.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("relay %s: delete consumer: %w", r.Name, err)
	}
	return nil
}

// sameStart reports whether a consumer of cfg starts at start (from the
// first event when start is zero), as Relay.Run makes it.
func sameStart(cfg jetstream.ConsumerConfig, start time.Time) bool {
	if start.IsZero() {
		return cfg.DeliverPolicy == jetstream.DeliverAllPolicy
	}
	return cfg.DeliverPolicy == jetstream.DeliverByStartTimePolicy && cfg.OptStartTime != nil && cfg.OptStartTime.Equal(start)
}

// forget deletes the consumer of a relay no longer desired (stopped
// already): its checkpoint is of no use, and a relay of that name desired
// again starts where its Spec says.
func (s *Supervisor) forget(ctx context.Context, name string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := s.Stream.DeleteConsumer(dctx, name)
	switch {
	case err == nil:
		s.Log.Info("relay no longer desired: stopped, its consumer deleted", "relay", name)
	case errors.Is(err, jetstream.ErrConsumerNotFound):
	default:
		s.Log.Warn("relay consumer not deleted", "relay", name, "err", err)
	}
}
