package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/internal/codec"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// Config configures a Runner.
type Config struct {
	Stream *eventstore.Store
	// Dir holds the store, <Dir>/<name>.pebble (StorePath).
	Dir string
	// Replica tells apart several replicas of one projection on one stream:
	// each has its own store and its own durable consumer.
	Replica string
	// Batch bounds the events applied in one transaction (default 2000).
	// A runner holds up to four batches of events in memory (MaxAckPending).
	Batch   int
	Logger  *slog.Logger
	Metrics *Metrics
	// TracerProvider traces each event applied live that carries a trace
	// (trace.go); nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Consumer settings. AckWait is long because a batch is acknowledged only
// after its commit and retries of transient failures happen in process,
// with backoff, rather than by redelivery; MaxAckPending leaves room for two
// batches in flight.
const (
	ackWait       = 2 * time.Minute
	maxBatchWait  = 5 * time.Millisecond
	defaultBatch  = 2000
	consumerStart = "proj_"
)

// Runner keeps one projection's store up to date with the stream and
// serves reads of it. It is safe for concurrent use.
type Runner struct {
	p     Projection
	cfg   Config
	path  string
	log   *slog.Logger
	wants subjectFilter // the projection's Filters (see filter.go)

	mu    sync.RWMutex // guards db and reads against the rebuild swap
	db    *pebble.DB
	reads *readCache // values of db as committed, for Tx reads

	lastSeq  atomic.Uint64
	lag      atomic.Int64
	changed  chan struct{} // closed and replaced after every commit
	changeMu sync.Mutex

	rebuilding atomic.Bool
	// stopRebuild ends the rebuild under way (nil when none): a store
	// found stale ends it before it is emptied (origin.go).
	rebuildMu   sync.Mutex
	stopRebuild context.CancelCauseFunc

	// The store's stream (origin.go). origin is its creation time in Unix
	// nanoseconds as the store records it (0: not recorded), changed with
	// mu held. verified holds while the current binding of the consumer
	// has found the store built from the stream there: until then, and
	// from the moment a binding is lost other than to a gap in the
	// deliveries (a stream deleted takes the consumer with it), the
	// checkpoint does not answer min_seq reads.
	// refill is where the stream ended when the store was found stale and
	// emptied; while refilling, Fault reports it until the store is there.
	origin    atomic.Int64
	verified  atomic.Bool
	refill    atomic.Uint64
	refilling atomic.Bool
	healthMu  sync.Mutex
	health    health
}

// testHooks lets this package's tests stand in for a crash at a point of a
// runner's work, by *Runner (func(point string) error); nothing else sets
// one. The hook is called at hookBeforeCommit, inside a live batch's
// transaction once its events are applied, and at hookAfterCommit, after
// the commit and before the acknowledgement: an error abandons the batch
// there (the transaction is rolled back, or the ack is not sent), and a
// test that cancels Run's context in it stops the runner there. It is also
// called at hookBound, between binding the consumer and pulling from it, at
// hookReplayOpen, before each attempt to open a rebuild's consumer, which
// an error fails, and at hookReset, when the store was found stale and is
// about to be emptied, where an error abandons the binding.
var testHooks sync.Map

// hook calls the test hook of r at point, if a test set one.
func (r *Runner) hook(point string) error {
	if h, ok := testHooks.Load(r); ok {
		return h.(func(string) error)(point)
	}
	return nil
}

// Points at which a test hook is called.
const (
	hookBeforeCommit = "before-commit"
	hookAfterCommit  = "after-commit"
	hookBound        = "bound" // the consumer is bound, nothing is pulled yet
	hookReplayOpen   = "replay-open"
	hookReset        = "reset" // the store was found stale (origin.go)
)

// New opens the projection's store. Run consumes.
func New(p Projection, cfg Config) (*Runner, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = defaultBatch
	}
	if cfg.Replica == "" {
		cfg.Replica = "0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runner{
		p: p, cfg: cfg, path: StorePath(cfg.Dir, p.Name()), wants: p.Filters(),
		log:     cfg.Logger.With("component", "projector", "projection", p.Name()),
		changed: make(chan struct{}),
	}
	db, err := openStore(r.path, p, r.log)
	if err != nil {
		return nil, err
	}
	last, err := readU64(db, keyLastSeq)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
	}
	origin, err := readU64(db, keyStreamCreated)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
	}
	r.db, r.reads = db, newReadCache()
	r.lastSeq.Store(last)
	r.origin.Store(int64(origin))
	r.lag.Store(-1)
	if m := cfg.Metrics; m != nil {
		m.lastSeq.WithLabelValues(p.Name()).Set(float64(last))
	}
	return r, nil
}

// Name is the projection's name.
func (r *Runner) Name() string { return r.p.Name() }

// ConsumerName is the durable consumer of this replica.
func (r *Runner) ConsumerName() string { return consumerStart + r.p.Name() + "_" + r.cfg.Replica }

// View runs fn with a Reader of a consistent snapshot of the store, and
// returns fn's error or else the Reader's first read error.
func (r *Runner) View(fn func(rd *Reader) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.db == nil {
		return errNoStore
	}
	seq := r.lastSeq.Load() // before the snapshot: Reader.Seq
	snap := r.db.NewSnapshot()
	defer snap.Close()
	rd := &Reader{r: snap, seq: seq}
	defer rd.close()
	if err := fn(rd); err != nil {
		return err
	}
	return rd.err
}

// LastSeq is the last stream sequence applied.
func (r *Runner) LastSeq() uint64 { return r.lastSeq.Load() }

// Close closes the store. Call it after Run has returned.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil {
		return nil // lost in a failed rebuild swap
	}
	return r.db.Close()
}

func (r *Runner) notify() {
	r.changeMu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.changeMu.Unlock()
}

func (r *Runner) changes() <-chan struct{} {
	r.changeMu.Lock()
	defer r.changeMu.Unlock()
	return r.changed
}

// consumer binds the durable consumer to deliver what follows the store's
// last sequence (Bind).
func (r *Runner) consumer(ctx context.Context) (jetstream.Consumer, uint64, error) {
	cons, _, next, err := Bind(ctx, r.cfg.Stream.Stream(), Binding{
		Durable:       r.ConsumerName(),
		Description:   "Plaudit projection " + r.p.Name(),
		AckWait:       ackWait,
		MaxAckPending: 4 * r.cfg.Batch,
		After:         r.LastSeq(),
	}, r.log)
	return cons, next, err
}

// Run applies the stream to the store until ctx ends; it returns nil then.
// Every batch is committed before it is acknowledged. When deliveries were
// lost, the consumer is gone or binding it fails, it binds the consumer
// again after the store's last sequence (Supervise). Each binding first
// checks that the store was built from the stream there: one built from a
// stream since replaced, or ahead of the stream, is emptied and rebuilt
// from the first sequence (origin.go; Fault reports it meanwhile).
func (r *Runner) Run(ctx context.Context) error {
	return Supervise(ctx, r.log, r.LastSeq, r.run, func() {
		if m := r.cfg.Metrics; m != nil {
			m.retries.WithLabelValues(r.p.Name()).Inc()
		}
	})
}

// run consumes with one binding of the consumer: until ctx ends, a batch
// fails for good, or the intake ends (its error).
func (r *Runner) run(ctx context.Context) (err error) {
	defer func() {
		// A binding lost may be a stream deleted, consumers and all: the
		// checkpoint answers min_seq reads again once the next binding
		// has checked the stream. A gap in the deliveries is no such sign:
		// the consumer that delivered past it is there.
		if err != nil && !errors.Is(err, ErrLost) {
			r.verified.Store(false)
		}
	}()
	created, err := r.checkStream(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, errNoStore) {
		return err
	}
	if err != nil {
		return BindError(fmt.Errorf("%s: %w", r.p.Name(), err))
	}
	cons, next, err := r.consumer(ctx)
	if err == nil {
		err = r.sameStream(ctx, created)
	}
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return BindError(fmt.Errorf("%s: %w", r.p.Name(), err))
	}
	r.verified.Store(true)
	r.notify()                             // min_seq reads waiting for the check
	ctx, cancel := context.WithCancel(ctx) // stops the stages when run returns
	defer cancel()
	in := newIntake(r.cfg.Batch, maxBatchWait)
	in.checkFrom(next)
	if err := r.hook(hookBound); err != nil {
		return err
	}
	stop, err := in.start(ctx, cons, 2*r.cfg.Batch)
	if err != nil {
		return err
	}
	defer stop()
	batches := r.prepareStage(ctx, in.out)
	js := r.cfg.Stream.JetStream()
	for {
		b, ok := <-batches
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return in.cause()
		}
		if err := r.applyLive(ctx, js, b); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// prepareStage decodes the intake's batches on a goroutine of its own, so
// that decoding the next batch overlaps applying and committing this one.
// The channel closes when in does or ctx ends.
func (r *Runner) prepareStage(ctx context.Context, in <-chan inBatch) <-chan prepared {
	out := make(chan prepared, 1)
	go func() {
		defer close(out)
		for ib := range in { // closed when ctx ends too
			b := r.prepare(ib)
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// raw is a stream message ready to apply or to dead-letter.
type raw struct {
	seq     uint64
	pending uint64
	subject string
	data    []byte
	stored  time.Time
}

// prepared is a batch read and decoded, ready to apply: for each message,
// whether the projection takes it, and the event or why it cannot be
// decoded.
type prepared struct {
	raws   []raw
	take   []bool
	events []Event
	bad    []error
	last   jetstream.Msg // acknowledges the batch (AckAll)
}

func (r *Runner) prepare(in inBatch) prepared {
	b := prepared{raws: in.raws, last: in.last}
	b.take = make([]bool, len(b.raws))
	b.events = make([]Event, len(b.raws))
	b.bad = make([]error, len(b.raws))
	for i, rm := range b.raws {
		if b.take[i] = r.wants.match(rm.subject); b.take[i] {
			b.events[i], b.bad[i] = decodeEvent(rm)
		}
	}
	return b
}

func (r *Runner) applyLive(ctx context.Context, js jetstream.JetStream, b prepared) error {
	dead := func(rm raw, reason error) error {
		return DeadLetter(ctx, js, r.p.Name(), rm.seq, rm.subject, rm.data, reason)
	}
	err := r.applyWithRetry(ctx, r.liveStore, b, dead, true)
	if err != nil {
		return err
	}
	if err := r.hook(hookAfterCommit); err != nil {
		return err
	}
	// Acknowledging the last message acknowledges the whole batch. A lost
	// ack only means redelivery, which the store's sequence skips.
	if err := b.last.Ack(); err != nil {
		r.log.Debug("ack failed; the batch will be redelivered and skipped", "err", err)
	}
	return nil
}

// storeFunc hands an attempt the store to apply to, its read cache, and a
// function that releases them.
type storeFunc func() (*pebble.DB, *readCache, func(), error)

// errNoStore: the live store could not be reopened after a failed rebuild
// swap; the projector stops rather than write nowhere.
var errNoStore = errors.New("projector: no open store")

// liveStore is the live store, held against the rebuild swap for one
// attempt at a time: a batch retrying while NATS is down must not hold off
// a swap (and with it, every reader waiting behind the swap).
func (r *Runner) liveStore() (*pebble.DB, *readCache, func(), error) {
	r.mu.RLock()
	if r.db == nil {
		r.mu.RUnlock()
		return nil, nil, nil, errNoStore
	}
	return r.db, r.reads, r.mu.RUnlock, nil
}

// applyWithRetry applies a batch, retrying transient failures with capped
// exponential backoff until ctx ends.
func (r *Runner) applyWithRetry(ctx context.Context, store storeFunc, batch prepared, dead func(raw, error) error, live bool) error {
	bo := backoff.WithContext(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(5*time.Second),
		backoff.WithMaxElapsedTime(0),
	), ctx)
	return backoff.RetryNotify(func() error {
		db, reads, release, err := store()
		if err != nil {
			return backoff.Permanent(err)
		}
		err = r.apply(ctx, db, reads, batch, dead, live)
		release()
		if err != nil && !IsTransient(err) {
			return backoff.Permanent(err)
		}
		return err
	}, bo, func(err error, wait time.Duration) {
		r.log.Warn("transient failure; retrying batch", "err", err, "retry_in", wait)
		if m := r.cfg.Metrics; m != nil && live {
			m.retries.WithLabelValues(r.p.Name()).Inc()
		}
	})
}

// apply applies one batch in one transaction. Poison events are
// dead-lettered and the batch applied again without them, so a failed Apply
// never leaves half an event in the store.
func (r *Runner) apply(ctx context.Context, db *pebble.DB, reads *readCache, b prepared, dead func(raw, error) error, live bool) error {
	batch := b.raws
	if len(batch) == 0 {
		return nil
	}
	start := time.Now()
	// Events the store has applied were dead-lettered when they were
	// applied: a redelivery (after the dead-letter subject's duplicate
	// window) must not dead-letter them again.
	prev, err := readU64(db, keyLastSeq)
	if err != nil {
		return Transient(err)
	}
	poisoned := map[uint64]bool{}
	for i, err := range b.bad {
		if err != nil && batch[i].seq > prev {
			if err := dead(batch[i], err); err != nil {
				return err
			}
			poisoned[batch[i].seq] = true
		}
	}
	for {
		last, applied, deadNow, err := r.commit(ctx, db, reads, b, prev, poisoned, live)
		var pe *poisonError
		if errors.As(err, &pe) {
			for _, rm := range batch {
				if rm.seq == pe.seq {
					if err := dead(rm, pe.reason); err != nil {
						return err
					}
				}
			}
			poisoned[pe.seq] = true
			continue
		}
		if err != nil {
			return Transient(err)
		}
		if !live || last == 0 {
			return nil
		}
		r.lastSeq.Store(last)
		r.refilled(last)
		r.lag.Store(int64(batch[len(batch)-1].pending))
		if m := r.cfg.Metrics; m != nil {
			name := r.p.Name()
			m.lastSeq.WithLabelValues(name).Set(float64(last))
			m.lag.WithLabelValues(name).Set(float64(batch[len(batch)-1].pending))
			m.applied.WithLabelValues(name).Add(float64(applied))
			m.deadLettered.WithLabelValues(name).Add(float64(deadNow))
			m.batchSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}
		if deadNow > 0 {
			r.log.Warn("dead-lettered events", "count", deadNow, "subject", DeadLetterSubject(r.p.Name()))
		}
		r.notify()
		return nil
	}
}

// commit applies the batch's new events (those above prev, the store's last
// sequence) and commits them with the new last sequence and counters in one
// atomic batch. It returns the new last sequence, 0 when there was nothing
// new. The runner is the store's only writer, so prev, read once for the
// batch, stays true until the commit.
func (r *Runner) commit(ctx context.Context, db *pebble.DB, reads *readCache, b prepared, prev uint64, poisoned map[uint64]bool, live bool) (last, applied, deadNow uint64, err error) {
	top := prev
	tx := newTx(db, reads)
	defer tx.close()
	for i, rm := range b.raws {
		if rm.seq <= prev {
			continue
		}
		top = max(top, rm.seq)
		if !b.take[i] {
			continue // not the projection's: read past it
		}
		if poisoned[rm.seq] {
			deadNow++
			continue
		}
		ev := b.events[i]
		ev.Replay = !live
		actx, span := r.traceApply(ctx, ev, live)
		err := r.p.Apply(actx, tx, ev)
		tracing.End(span, err)
		if err != nil {
			if IsTransient(err) {
				return 0, 0, 0, err
			}
			if tx.Err() != nil {
				return 0, 0, 0, tx.Err()
			}
			return 0, 0, 0, &poisonError{seq: rm.seq, reason: err}
		}
		if tx.Err() != nil {
			return 0, 0, 0, tx.Err()
		}
		applied++
	}
	if top == prev {
		return 0, 0, 0, nil
	}
	if live {
		if err := r.hook(hookBeforeCommit); err != nil {
			return 0, 0, 0, err
		}
	}
	totalApplied, err := readU64(db, keyApplied)
	if err != nil {
		return 0, 0, 0, err
	}
	totalDead, err := readU64(db, keyDeadLettered)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, kv := range []struct {
		k []byte
		v uint64
	}{{keyApplied, totalApplied + applied}, {keyDeadLettered, totalDead + deadNow}, {keyLastSeq, top}} {
		if err := tx.set(bucketKey(metaBucket, kv.k), u64(kv.v)); err != nil {
			return 0, 0, 0, err
		}
	}
	if err := tx.commit(); err != nil {
		return 0, 0, 0, err
	}
	return top, applied, deadNow, nil
}

func decodeEvent(rm raw) (Event, error) {
	env, d, err := codec.Read(rm.data)
	if err != nil {
		return Event{}, err
	}
	if want := d.AggregateSubject(env.Tenant, env.ID); want != rm.subject {
		return Event{}, fmt.Errorf("event: stored on %s but belongs on %s", rm.subject, want)
	}
	return Event{Envelope: env, Data: d, Subject: rm.subject, Seq: rm.seq, Stored: rm.stored}, nil
}
