package projector

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Binding is how a reader of the stream that keeps its own checkpoint (a
// projection's store, ClickHouse) binds its durable consumer.
type Binding struct {
	Durable     string
	Description string
	// AckWait is how long a delivered batch may go unacknowledged before
	// the server delivers it again: longer than a batch takes to apply,
	// retries of transient failures included, since those happen in
	// process.
	AckWait time.Duration
	// MaxAckPending bounds the deliveries not yet acknowledged: room for
	// the batches in flight.
	MaxAckPending int
	// After is the reader's checkpoint: every event up to it is applied.
	After uint64
}

// Bind binds the durable consumer of b to deliver every event after
// b.After, the whole stream (no server-side filter: the reader takes its
// events itself, see filter.go), acknowledged with AckAll. An existing
// consumer that delivered nothing past the checkpoint keeps its position.
// One that did (its reader stopped or crashed holding a batch it had not
// applied, or the checkpoint went back: a store deleted or restored from
// an older copy) is deleted and created again to start after the
// checkpoint: the server would redeliver those events only after AckWait,
// and acknowledging a later event (AckAll) would drop them.
//
// after is the stream sequence the consumer resumes after (at most
// b.After); next is its delivery sequence expected first (see
// intake.checkFrom): the one after the last delivery the decision saw.
func Bind(ctx context.Context, stream jetstream.Stream, b Binding, log *slog.Logger) (cons jetstream.Consumer, after, next uint64, err error) {
	cfg := jetstream.ConsumerConfig{
		Durable:       b.Durable,
		Description:   b.Description,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       b.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: b.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if b.After > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, b.After+1
	}
	existing, err := stream.Consumer(ctx, b.Durable)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
	case err != nil:
		return nil, 0, 0, err
	default:
		info := existing.CachedInfo()
		if info.Delivered.Stream <= b.After {
			// Keep its position; refresh what may change.
			cfg.DeliverPolicy, cfg.OptStartSeq = info.Config.DeliverPolicy, info.Config.OptStartSeq
			cons, err := stream.CreateOrUpdateConsumer(ctx, cfg)
			return cons, info.Delivered.Stream, BindNext(info), err
		}
		log.Info("consumer ahead of the checkpoint; recreating it", "consumer", b.Durable,
			"delivered", info.Delivered.Stream, "ack_floor", info.AckFloor.Stream, "checkpoint", b.After)
		if err := stream.DeleteConsumer(ctx, b.Durable); err != nil {
			return nil, 0, 0, err
		}
	}
	cons, err = stream.CreateOrUpdateConsumer(ctx, cfg)
	return cons, b.After, 1, err
}
