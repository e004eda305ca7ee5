package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/eventstore"
)

// tail follows the stream's messages on filters from the first one, calling
// fn with each and its stream sequence, until ctx ends (nil) or the
// consumer fails.
func tail(ctx context.Context, store *eventstore.Store, filters []string, fn func(m jetstream.Msg, seq uint64)) error {
	cons, err := store.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: filters})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	defer context.AfterFunc(ctx, msgs.Stop)()
	for {
		m, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("tail: %w", err)
		}
		if md, err := m.Metadata(); err == nil {
			fn(m, md.Sequence.Stream)
		}
	}
}
