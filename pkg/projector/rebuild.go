package projector

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrRebuilding is returned by StartRebuild and Rebuild when a rebuild of
// the projection is already running.
var ErrRebuilding = errors.New("projector: rebuild already running")

// Rebuild builds a fresh store from the first sequence with an ordered
// consumer while the live store keeps serving, then swaps it in: the live
// runner is paused only for the last few events and the file rename. Poison
// events are counted again but not dead-lettered twice.
func (r *Runner) Rebuild(ctx context.Context) error {
	run, err := r.StartRebuild()
	if err != nil {
		return err
	}
	return run(ctx)
}

// StartRebuild claims the rebuild at once, so that a second request is
// refused with ErrRebuilding even before the first has begun, and returns
// the function that carries it out.
func (r *Runner) StartRebuild() (func(ctx context.Context) error, error) {
	if !r.rebuilding.CompareAndSwap(false, true) {
		return nil, ErrRebuilding
	}
	return func(ctx context.Context) error {
		defer r.rebuilding.Store(false)
		return r.rebuild(ctx)
	}, nil
}

func (r *Runner) rebuild(ctx context.Context) error {
	// The stages below run on ctx; they end with the rebuild, or when the
	// runner finds the stream gone or replaced (endRebuild).
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.rebuildMu.Lock()
	r.stopRebuild = cancel
	r.rebuildMu.Unlock()
	defer func() {
		r.rebuildMu.Lock()
		r.stopRebuild = nil
		r.rebuildMu.Unlock()
	}()
	// The rebuilt store records the stream it is built from. A live store
	// built from another (one found stale, or about to be) is the runner's
	// to rebuild: this one would wait for its checkpoint, in a stream
	// where it may never come. (The checkpoint is read first: the runner
	// may apply events appended after the stream is read.)
	checkpoint := r.LastSeq()
	info, err := r.cfg.Stream.Stream().Info(ctx)
	if err != nil {
		return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), err)
	}
	created := unixNanos(info.Created)
	if r.builtFromOther(created) || info.State.LastSeq < checkpoint {
		return fmt.Errorf("projector: rebuild %s: %w; the runner rebuilds the store by itself", r.p.Name(), ErrStreamReplaced)
	}
	path := r.path + ".rebuild"
	_ = os.RemoveAll(path)
	db, err := openStore(path, r.p, r.log)
	if err != nil {
		return err
	}
	defer func() {
		if db != nil { // not swapped in: discard it
			db.Close()
			_ = os.RemoveAll(path)
		}
	}()
	if created != 0 {
		if err := db.Set(bucketKey(metaBucket, keyStreamCreated), u64(uint64(created)), pebble.NoSync); err != nil {
			return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), err)
		}
	}
	msgs, err := r.replay(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx) // ended, perhaps by the runner (endRebuild)
		}
		return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), err)
	}
	defer msgs.Stop()
	in := newIntake(r.cfg.Batch, maxBatchWait)
	in.feed(ctx, msgs)
	batches := r.prepareStage(ctx, in.out)
	reads := newReadCache()
	store := func() (*pebble.DB, *readCache, func(), error) { return db, reads, func() {}, nil }
	noDeadLetter := func(raw, error) error { return nil }
	var applied uint64
	catchUp := func(target uint64, untilIdle bool) error {
		for applied < target || untilIdle {
			b, ok := <-batches
			if !ok {
				why := in.Err()
				if ctx.Err() != nil {
					why = context.Cause(ctx)
				}
				return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), why)
			}
			if err := r.applyWithRetry(ctx, store, b, noDeadLetter, false); err != nil {
				return err
			}
			last := b.raws[len(b.raws)-1]
			applied = last.seq
			if untilIdle && last.pending == 0 {
				return nil
			}
		}
		return nil
	}
	// Catch up with the stream as it is, while the live store serves.
	if r.LastSeq() > 0 {
		if err := catchUp(r.LastSeq(), false); err != nil {
			return err
		}
	}
	// Pause the live runner, take the last events, swap.
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := catchUp(r.LastSeq(), false); err != nil {
		return err
	}
	if r.builtFromOther(created) {
		// The runner found the stream replaced meanwhile and emptied the
		// live store: this one is of the stream before.
		return fmt.Errorf("projector: rebuild %s: %w during the rebuild", r.p.Name(), ErrStreamReplaced)
	}
	last, err := readU64(db, keyLastSeq)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), err)
	}
	db = nil
	// From here the live store is closed: whatever fails, the runner
	// reopens a store at r.path (the rebuilt one once it has been moved
	// there) or is left without one, which its reads and applies report.
	reopen := func(cause error) error {
		live, err := openStore(r.path, r.p, r.log)
		if err == nil {
			// Only the store as the live consumer left it will do: one
			// behind it (emptied as unreadable) would miss what the
			// consumer has already delivered, until a restart.
			if seq, rerr := readU64(live, keyLastSeq); rerr != nil || seq != r.lastSeq.Load() {
				live.Close()
				err = fmt.Errorf("the reopened store is at sequence %d, not %d", seq, r.lastSeq.Load())
			}
		}
		if err != nil {
			r.db, r.reads = nil, nil
			return fmt.Errorf("projector: rebuild %s: %w (and reopening the store: %v)", r.p.Name(), cause, err)
		}
		r.db, r.reads = live, newReadCache()
		return fmt.Errorf("projector: rebuild %s: %w", r.p.Name(), cause)
	}
	if r.db != nil {
		if err := r.db.Close(); err != nil {
			return reopen(err)
		}
	}
	// A crash between the removal and the rename leaves no store, which
	// the next start rebuilds.
	if err := os.RemoveAll(r.path); err != nil {
		return reopen(err)
	}
	if err := os.Rename(path, r.path); err != nil {
		_ = os.RemoveAll(path)
		return reopen(err)
	}
	live, err := openStore(r.path, r.p, r.log)
	if err != nil {
		r.db, r.reads = nil, nil
		return fmt.Errorf("projector: rebuild %s: reopen: %w", r.p.Name(), err)
	}
	r.db, r.reads = live, newReadCache()
	r.lastSeq.Store(max(last, r.lastSeq.Load()))
	if created != 0 {
		r.origin.Store(created)
	}
	r.log.Info("rebuilt", "stream_seq", last)
	return nil
}

// builtFromOther reports whether the live store records a stream other
// than the one created at created (Unix nanoseconds; 0 and an unrecorded
// stream match any).
func (r *Runner) builtFromOther(created int64) bool {
	o := r.origin.Load()
	return o != 0 && created != 0 && o != created
}

// replayBindWait bounds how long a rebuild waits for the server to open its
// consumer.
const replayBindWait = 30 * time.Second

// replay opens the rebuild's ordered consumer from the first sequence.
// Opening it again may fix a failure other than a closed connection, a
// missing stream, a bad option or a refusal of the JetStream API (a server
// reconnecting, a request cut off): such failures are retried with backoff
// for up to replayBindWait. Every attempt names the consumer alike, so one
// whose creation the server carried out before the answer was lost is
// taken over, not left behind. Once open, the ordered consumer restarts
// itself after a gap, with delivery sequences of its own: the intake checks
// only that stream sequences rise (intake.feed).
func (r *Runner) replay(ctx context.Context) (jetstream.MessagesContext, error) {
	var id [6]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	prefix := fmt.Sprintf("rebuild_%s_%s_%x", r.p.Name(), r.cfg.Replica, id)
	bo := backoff.WithContext(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(2*time.Second),
		backoff.WithMaxElapsedTime(replayBindWait),
	), ctx)
	return backoff.RetryNotifyWithData(func() (jetstream.MessagesContext, error) {
		msgs, err := r.openReplay(ctx, prefix)
		if err != nil && !reopenable(err) {
			return nil, backoff.Permanent(err)
		}
		return msgs, err
	}, bo, func(err error, wait time.Duration) {
		r.log.Warn("opening the rebuild's consumer failed; retrying", "err", err, "retry_in", wait)
	})
}

// reopenable reports whether opening a rebuild's consumer may succeed if
// asked again after failing with err.
func reopenable(err error) bool {
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrInvalidOption) {
		return false
	}
	return Rebind(BindError(err)) // all but a refusal of the JetStream API
}

func (r *Runner) openReplay(ctx context.Context, prefix string) (jetstream.MessagesContext, error) {
	if err := r.hook(hookReplayOpen); err != nil {
		return nil, err
	}
	stream := r.cfg.Stream.Stream()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{NamePrefix: prefix})
	if err != nil {
		return nil, err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(2 * r.cfg.Batch))
	if err != nil {
		// The consumer exists on the server: it is not left to expire.
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = stream.DeleteConsumer(dctx, info.Name)
		}
		return nil, err
	}
	return msgs, nil
}
