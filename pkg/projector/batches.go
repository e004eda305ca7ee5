package projector

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Pump moves messages from the iterator to a channel, so that a batch can
// take what has already arrived without blocking. The channel closes when
// the iterator stops or ctx ends; missed heartbeats and reconnections are
// the iterator's to recover from.
func Pump(ctx context.Context, msgs jetstream.MessagesContext) <-chan jetstream.Msg {
	out := make(chan jetstream.Msg, 256)
	go func() {
		defer close(out)
		stop := context.AfterFunc(ctx, msgs.Stop)
		defer stop()
		for {
			m, err := msgs.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
					return
				}
				continue // heartbeats missed, reconnecting: the iterator recovers
			}
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// Collect waits for one message, then takes what else arrives within wait,
// up to max. It reports false when in closed or ctx ended first.
func Collect(ctx context.Context, in <-chan jetstream.Msg, max int, wait time.Duration) ([]jetstream.Msg, bool) {
	var batch []jetstream.Msg
	select {
	case m, ok := <-in:
		if !ok {
			return nil, false
		}
		batch = append(batch, m)
	case <-ctx.Done():
		return nil, false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(batch) < max {
		select {
		case m, ok := <-in:
			if !ok {
				return batch, true
			}
			batch = append(batch, m)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}
