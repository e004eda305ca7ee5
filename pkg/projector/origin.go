package projector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
)

// A store's checkpoint (keyLastSeq) is a position in one stream: the one
// the store was built from. A stream deleted and created again under the
// same name numbers its events from 1 again, and one restored from an
// older backup ends before the checkpoint; either way the checkpoint no
// longer says what the store reflects, and a read asking for min_seq would
// be answered at once from events that are not in the stream. So the store
// keeps, beside the checkpoint, the creation time of its stream
// (keyStreamCreated: JetStream's own mark of a stream's identity, by which
// the server itself notices that a source stream was recreated), and the
// runner compares it and the stream's last sequence with the stream each
// time it binds its consumer (checkStream). A stale store is emptied and
// rebuilt from the first sequence of the stream there now: the stream is
// the truth, the store is disposable. Until the store has caught up with
// that stream again, Fault says why the projection cannot serve.

// Why a projection cannot serve (Runner.Fault).
var (
	// ErrStreamReplaced is reported by Fault when the stream is not the one the store was built
	// from (it was deleted and created again), or it ends before the
	// store's checkpoint (restored from an older copy). The runner
	// empties the store and rebuilds it from the stream.
	ErrStreamReplaced = errors.New("projector: the event stream is not the one the store was built from")
	// ErrStreamGone is reported by Fault when the event stream does not
	// exist. The runner keeps
	// trying to bind; nothing in it creates the stream.
	ErrStreamGone = errors.New("projector: the event stream is gone")
	// errUnchecked: no binding has compared the store with the stream yet.
	errUnchecked = errors.New("projector: the store is not yet checked against the event stream")
)

// health is what Fault reports, guarded by Runner.healthMu. Only the
// runner's goroutine changes it.
type health struct {
	checked bool  // a binding has compared the store with the stream
	gone    bool  // the last binding found no stream
	stale   error // the store was found stale; set until it is refilled
}

// Fault is why the projection cannot serve, or nil. It is not nil until
// Run has first bound the consumer and found the store built from the
// stream there; while the stream is gone; and, once the store was found
// built from another stream (or ahead of this one), until it is rebuilt
// from the stream up to where the stream was when that was found. An
// engine reports it as not ready.
func (r *Runner) Fault() error {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	h := r.health
	switch {
	case h.gone:
		return fmt.Errorf("projection %s: %w (stream %s)", r.p.Name(), ErrStreamGone, r.cfg.Stream.Name())
	case h.stale != nil:
		return fmt.Errorf("projection %s: %w; rebuilding the store from the stream up to sequence %d (at %d)", r.p.Name(), h.stale, r.refill.Load(), r.LastSeq())
	case !h.checked:
		return fmt.Errorf("projection %s: %w", r.p.Name(), errUnchecked)
	}
	return nil
}

// caughtUp reports whether the store answers a read of min_seq seq: it has
// applied seq, and it was found built from the stream at the binding that
// still holds. A stream replaced meanwhile ends that binding (its consumer
// goes with it), so a checkpoint of the stream before does not count.
func (r *Runner) caughtUp(seq uint64) bool {
	return r.verified.Load() && r.LastSeq() >= seq
}

// checkStream compares the store with the stream before the runner binds
// its consumer, and returns the stream's creation time (Unix nanoseconds,
// 0 when the server reports none). A store built from another stream, or
// ahead of this one, is emptied, so that the binding starts from the first
// sequence; a store that does not know its stream yet (a new one, or one
// of an older version, whose stream can only be taken on trust) adopts
// this one.
func (r *Runner) checkStream(ctx context.Context) (int64, error) {
	// Read before the stream: a rebuild swapping its store in meanwhile
	// may have applied events appended after the stream was read.
	applied := r.LastSeq()
	info, err := r.cfg.Stream.Stream().Info(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		r.streamGone()
	}
	if err != nil {
		return 0, BindError(err)
	}
	created, origin := unixNanos(info.Created), r.origin.Load()
	replaced := origin != 0 && created != 0 && origin != created
	switch {
	case applied > 0 && (replaced || info.State.LastSeq < applied):
		stale := fmt.Errorf("%w: the store was built from the stream created %s and has applied it up to sequence %d; the stream there now was created %s and ends at sequence %d",
			ErrStreamReplaced, formatNanos(origin), applied, formatNanos(created), info.State.LastSeq)
		r.log.Error("the read model is stale: the event stream was replaced or went back; emptying the store and rebuilding it from the stream",
			"stream", r.cfg.Stream.Name(), "recorded_stream_created", formatNanos(origin), "stream_created", formatNanos(created),
			"applied_seq", applied, "stream_last_seq", info.State.LastSeq)
		r.verified.Store(false)
		r.refill.Store(info.State.LastSeq)
		r.refilling.Store(true)
		r.setHealth(func(h *health) { h.gone, h.stale = false, stale })
		if err := r.hook(hookReset); err != nil {
			return 0, err
		}
		if err := r.reset(created, stale); err != nil {
			return 0, err
		}
		r.notify()
	case (origin == 0 || replaced) && created != 0:
		// A store that records no stream (a new one, or one of an older
		// version: its stream can only be taken on trust) adopts this
		// one; so does one that has applied nothing of its stream.
		if err := r.recordOrigin(created); err != nil {
			return 0, err
		}
	}
	r.setHealth(func(h *health) { h.checked, h.gone = true, false })
	r.refilled(r.LastSeq()) // a stream found empty has nothing to refill
	return created, nil
}

// sameStream checks, once the consumer is bound, that the stream is still
// the one checkStream compared the store with: a consumer bound on a stream
// that replaced it would deliver its events past the old checkpoint.
func (r *Runner) sameStream(ctx context.Context, created int64) error {
	info, err := r.cfg.Stream.Stream().Info(ctx)
	if err != nil {
		return err
	}
	if now := unixNanos(info.Created); now != created {
		return fmt.Errorf("%w while binding: created %s, then %s", ErrStreamReplaced, formatNanos(created), formatNanos(now))
	}
	return nil
}

// refilled is called after each live commit up to last: a store emptied
// because it was stale serves again once it has caught up with the stream
// as it was then.
func (r *Runner) refilled(last uint64) {
	if !r.refilling.Load() || last < r.refill.Load() {
		return
	}
	r.refilling.Store(false)
	was := false
	r.setHealth(func(h *health) { was, h.stale = h.stale != nil, nil })
	if was {
		r.log.Info("the store is rebuilt from the event stream and serves again", "stream_seq", last)
	}
}

// streamGone records that the stream does not exist, and ends a rebuild
// under way: it reads a stream that is no more, and may be waiting for its
// events holding the store.
func (r *Runner) streamGone() {
	r.verified.Store(false)
	r.endRebuild(ErrStreamGone)
	was := false
	r.setHealth(func(h *health) { was, h.gone = h.gone, true })
	if !was {
		r.log.Error("the event stream is gone: the read model cannot follow it", "stream", r.cfg.Stream.Name(), "applied_seq", r.LastSeq())
	}
}

func (r *Runner) setHealth(change func(*health)) {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	change(&r.health)
}

// recordOrigin records created as the stream the store is built from.
func (r *Runner) recordOrigin(created int64) error {
	db, _, release, err := r.liveStore()
	if err != nil {
		return err
	}
	defer release()
	if err := db.Set(bucketKey(metaBucket, keyStreamCreated), u64(uint64(created)), pebble.NoSync); err != nil {
		return fmt.Errorf("projector: %s: record the stream: %w", r.p.Name(), err)
	}
	r.origin.Store(created)
	return nil
}

// reset empties the store and records created as its stream, in one atomic
// batch: a crash leaves either the old store, found stale again, or the
// empty one. A rebuild under way is ended first (with cause): it reads the
// stream that was replaced, and may hold the store waiting for its events.
// The projection's state beside the store is dropped too (Resetter).
func (r *Runner) reset(created int64, cause error) error {
	r.endRebuild(cause)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil {
		return errNoStore
	}
	b := r.db.NewBatch()
	defer b.Close()
	it, err := r.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("projector: %s: empty the store: %w", r.p.Name(), err)
	}
	if it.First() {
		first := bytes.Clone(it.Key())
		it.Last()
		end := append(bytes.Clone(it.Key()), 0) // just past the last key
		if err := b.DeleteRange(first, end, nil); err != nil {
			it.Close()
			return fmt.Errorf("projector: %s: empty the store: %w", r.p.Name(), err)
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("projector: %s: empty the store: %w", r.p.Name(), err)
	}
	// Later in the batch than the range deletion, so they stay.
	for _, kv := range []struct {
		k []byte
		v uint64
	}{{keyLayout, layoutOf(r.p)}, {keyStreamCreated, uint64(created)}} {
		if err := b.Set(bucketKey(metaBucket, kv.k), u64(kv.v), nil); err != nil {
			return fmt.Errorf("projector: %s: empty the store: %w", r.p.Name(), err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("projector: %s: empty the store: %w", r.p.Name(), err)
	}
	r.reads = newReadCache()
	r.lastSeq.Store(0)
	r.lag.Store(-1)
	r.origin.Store(created)
	if rs, ok := r.p.(Resetter); ok {
		rs.Reset()
	}
	if m := r.cfg.Metrics; m != nil {
		m.lastSeq.WithLabelValues(r.p.Name()).Set(0)
	}
	return nil
}

// endRebuild ends the rebuild under way, if any, with cause.
func (r *Runner) endRebuild(cause error) {
	r.rebuildMu.Lock()
	stop := r.stopRebuild
	r.rebuildMu.Unlock()
	if stop != nil {
		stop(cause)
	}
}

// unixNanos is t in Unix nanoseconds, 0 for the zero time.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func formatNanos(ns int64) string {
	if ns == 0 {
		return "(unknown)"
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
