package projector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Projection is one read model. Apply is called from one goroutine at a
// time, for each event of a batch, in the batch's Tx; its ctx ends when the
// runner stops.
type Projection interface {
	// Name names the projection, its store file and its durable consumer.
	// Renaming one replays the whole stream into a new store.
	Name() string
	// Filters are the stream subjects the projection consumes, with NATS
	// wildcards. The runtime reads the whole stream and applies only the
	// events on these subjects; its last applied sequence moves past the
	// others too.
	Filters() []string
	// Apply folds one event into the store. An error makes the event a
	// poison event: the transaction is rolled back, the event goes to the
	// dead-letter subject with the error as its reason, and the batch is
	// applied again without it. Wrap an error with Transient for failures
	// that may pass (the batch is retried with backoff instead).
	Apply(ctx context.Context, tx *Tx, ev Event) error
}

// Layouter is implemented by a projection whose store layout has a
// version. A store written with another layout is deleted when the
// projector opens it and rebuilt from the stream.
type Layouter interface {
	Layout() int
}

// Resetter is implemented by a projection that keeps state derived from
// its store outside it (the rules engine's memory of what it issued). The
// runtime calls Reset when it has emptied the store because the stream the
// store was built from was replaced: the state must go too, since the new
// stream numbers its events from 1 again. No read and no batch is under
// way during the call.
type Resetter interface {
	Reset()
}

// Event is an event as a projection sees it: the envelope, its decoded data
// (upcast to the newest version), and where it sits in the stream.
type Event struct {
	event.Envelope
	Data    event.Data
	Subject string
	Seq     uint64
	Stored  time.Time // when the stream stored it
	// Replay is true when a rebuild applies the event: the live store it
	// replaces applied it before. A projection that acts on events (a
	// process manager) rebuilds its state from it and does not act again.
	Replay bool
}

// errTransient marks a failure worth retrying rather than dead-lettering.
var errTransient = errors.New("projector: transient")

// Transient marks err as a failure worth retrying rather than dead-lettering.
func Transient(err error) error { return mark(errTransient, "", err) }

// IsTransient reports whether err was marked Transient.
func IsTransient(err error) bool { return errors.Is(err, errTransient) }

// marked is err marked with a kind the runtime branches on (errTransient,
// errBind): errors.Is holds for the kind, and the message is err's after
// prefix.
type marked struct {
	kind   error
	prefix string
	err    error
}

func (e marked) Error() string        { return e.prefix + e.err.Error() }
func (e marked) Unwrap() error        { return e.err }
func (e marked) Is(target error) bool { return target == e.kind }

// mark marks err with kind; nil stays nil.
func mark(kind error, prefix string, err error) error {
	if err == nil {
		return nil
	}
	return marked{kind: kind, prefix: prefix, err: err}
}

// poisonError is an event the projection cannot take.
type poisonError struct {
	seq    uint64
	reason error
}

func (e *poisonError) Error() string {
	return fmt.Sprintf("projector: poison event at sequence %d: %v", e.seq, e.reason)
}

// Key joins parts with 0 bytes: a store key of several fields, which sort
// field by field as long as no field holds a 0 byte (no Plaudit id does).
// A trailing "" makes a prefix of every key that starts with the parts
// before it.
func Key(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	return AppendKey(make([]byte, 0, n+16), parts...) // room for a time or a sequence after it
}

// AppendKey appends Key(parts...) to b: a key built in a buffer of the
// caller's, for the Tx methods, which copy what they keep of their keys.
func AppendKey(b []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}
