package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors callers branch on.
var (
	// ErrConflict is returned by a conditional append when the aggregate
	// moved on since it was read: reload and decide again.
	ErrConflict = errors.New("eventstore: conflict: aggregate changed since it was read")
	// ErrDuplicate is matched by a *DuplicateError, returned when an event
	// with this id is already stored.
	ErrDuplicate = errors.New("eventstore: duplicate event id")
	// ErrUnavailable is returned when JetStream did not answer: the append
	// may or may not have happened and is safe to retry with the same event
	// id.
	ErrUnavailable = errors.New("eventstore: unavailable")
	// ErrNotFound is returned by Last and Get when no event matches.
	ErrNotFound = errors.New("eventstore: not found")
)

// DuplicateError reports that the event id was stored before, at Seq.
type DuplicateError struct {
	ID  string
	Seq uint64
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("eventstore: event %s already stored at sequence %d", e.ID, e.Seq)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// classify maps a JetStream or connection error onto the package's errors.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			return fmt.Errorf("eventstore: %s: %w", op, ErrConflict)
		case jetstream.JSErrCodeMessageNotFound:
			return fmt.Errorf("eventstore: %s: %w", op, ErrNotFound)
		case atomicBatchDuplicate:
			return fmt.Errorf("eventstore: %s: %w", op, ErrDuplicate)
		}
		if apiErr.Code >= 500 {
			return fmt.Errorf("eventstore: %s: %w: %v", op, ErrUnavailable, err)
		}
		return fmt.Errorf("eventstore: %s: %w", op, err)
	}
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("eventstore: %s: %w", op, ErrNotFound)
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, jetstream.ErrAsyncPublishTimeout), errors.Is(err, jetstream.ErrTooManyStalledMsgs),
		// A scan's consumer whose server died.
		errors.Is(err, jetstream.ErrNoHeartbeat):
		return fmt.Errorf("eventstore: %s: %w: %v", op, ErrUnavailable, err)
	}
	return fmt.Errorf("eventstore: %s: %w", op, err)
}

// atomicBatchDuplicate is the JetStream error code for an atomic batch that
// contains an id already stored.
const atomicBatchDuplicate jetstream.ErrorCode = 10201
