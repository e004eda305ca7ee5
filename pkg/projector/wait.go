package projector

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// ErrNotCaughtUp is returned by WaitFor when the projection has not
// applied the asked-for sequence in time.
var ErrNotCaughtUp = errors.New("projector: not caught up yet")

// WaitFor blocks until the projection reflects every event up to seq (read
// your writes), or ctx ends with ErrNotCaughtUp. An event at seq the
// projection does not consume counts as reflected once its consumer has
// nothing left up to there. The store's checkpoint counts only while the
// runner is bound to the stream it found the store built from (caughtUp):
// not before Run first binds, nor between losing a binding and checking
// the stream again, when the stream may have been replaced by one that
// numbers its events from 1 again.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	for {
		if r.caughtUp(seq) {
			return nil
		}
		ch := r.changes()
		if r.verified.Load() {
			if ok, err := r.drainedPast(ctx, seq); err == nil && ok && r.verified.Load() {
				return nil
			}
		}
		select {
		case <-ch:
		case <-time.After(25 * time.Millisecond):
		case <-ctx.Done():
			return ErrNotCaughtUp
		}
	}
}

// drainedPast reports whether the stream has reached seq and the last
// event matching the projection's filters is applied: then every event of
// the filters up to seq has been. The stream is read before the filters, so
// an event appended in between cannot be missed.
func (r *Runner) drainedPast(ctx context.Context, seq uint64) (bool, error) {
	info, err := r.cfg.Stream.Stream().Info(ctx)
	if err != nil {
		return false, err
	}
	if info.State.LastSeq < seq {
		return false, nil
	}
	applied := r.LastSeq()
	for _, f := range r.p.Filters() {
		// Read raw: a malformed last message counts as much as any other.
		last, err := r.cfg.Stream.Stream().GetLastMsgForSubject(ctx, f)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if last.Sequence > applied {
			return false, nil
		}
	}
	return true, nil
}

// Status is what the runtime reports of a projection: what GET
// /v1/projections answers with, one per replica.
type Status = apiv1.ProjectionStatus

// Status reads the projection's position from its store and its consumer.
func (r *Runner) Status(ctx context.Context) (Status, error) {
	s := Status{Name: r.p.Name(), Replica: r.cfg.Replica, Rebuilding: r.rebuilding.Load()}
	if err := r.Fault(); err != nil {
		s.Fault = err.Error()
	}
	err := r.View(func(rd *Reader) error {
		var err error
		for _, f := range []struct {
			key []byte
			v   *uint64
		}{{keyLastSeq, &s.LastSeq}, {keyApplied, &s.Applied}, {keyDeadLettered, &s.DeadLettered}} {
			if *f.v, err = readU64(rd.r, f.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	cons, err := r.cfg.Stream.Stream().Consumer(ctx, r.ConsumerName())
	if err != nil {
		return s, err
	}
	// Delivered but unacknowledged events are lag only when not yet
	// applied: a batch is acknowledged just after its commit.
	ci := cons.CachedInfo()
	s.Lag = ci.NumPending
	if ci.Delivered.Stream > s.LastSeq {
		s.Lag += uint64(ci.NumAckPending)
	}
	return s, nil
}
