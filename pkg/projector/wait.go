package projector

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotCaughtUp: the projection had not applied the asked-for sequence in
// time.
var ErrNotCaughtUp = errors.New("projector: not caught up yet")

// WaitFor blocks until the projection reflects every event up to seq (read
// your writes), or ctx ends with ErrNotCaughtUp. An event at seq the
// projection does not consume counts as reflected once its consumer has
// nothing left up to there.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	for {
		if r.LastSeq() >= seq {
			return nil
		}
		ch := r.changes()
		if ok, err := r.drainedPast(ctx, seq); err == nil && ok {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(25 * time.Millisecond):
		case <-ctx.Done():
			return ErrNotCaughtUp
		}
	}
}

// drainedPast reports whether the stream has reached seq and the consumer
// has nothing pending or unacknowledged: then every event of the filter up
// to seq has been applied. The stream is read before the consumer, so an
// event appended in between cannot be missed.
func (r *Runner) drainedPast(ctx context.Context, seq uint64) (bool, error) {
	info, err := r.cfg.Stream.Stream().Info(ctx)
	if err != nil {
		return false, err
	}
	if info.State.LastSeq < seq {
		return false, nil
	}
	cons, err := r.cfg.Stream.Stream().Consumer(ctx, r.ConsumerName())
	if err != nil {
		return false, err
	}
	ci := cons.CachedInfo()
	// A consumer acknowledged past the store belongs to an older store
	// that Run has yet to replace; it proves nothing.
	return ci.NumPending == 0 && ci.NumAckPending == 0 && ci.AckFloor.Stream <= r.LastSeq(), nil
}

// Status is what the runtime reports of a projection.
type Status struct {
	Name         string `json:"name"`
	Replica      string `json:"replica"`
	LastSeq      uint64 `json:"last_seq"`
	Lag          uint64 `json:"lag"`
	Applied      uint64 `json:"applied"`
	DeadLettered uint64 `json:"dead_lettered"`
	Rebuilding   bool   `json:"rebuilding"`
}

// Status reads the projection's position from its store and its consumer.
func (r *Runner) Status(ctx context.Context) (Status, error) {
	s := Status{Name: r.p.Name(), Replica: r.cfg.Replica, Rebuilding: r.rebuilding.Load()}
	err := r.View(func(tx *bolt.Tx) error {
		s.LastSeq, s.Applied, s.DeadLettered = LastSeq(tx), getU64(tx, keyApplied), getU64(tx, keyDeadLettered)
		return nil
	})
	if err != nil {
		return s, err
	}
	cons, err := r.cfg.Stream.Stream().Consumer(ctx, r.ConsumerName())
	if err != nil {
		return s, err
	}
	ci := cons.CachedInfo()
	s.Lag = ci.NumPending + uint64(ci.NumAckPending)
	return s, nil
}
