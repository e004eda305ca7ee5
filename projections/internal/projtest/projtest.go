// Package projtest holds what the tests of several projection packages
// share: events appended straight to the stream, a module whose projection
// writes what its read side cannot read, and a world of members whose
// kudos the feed and allowance projections follow. It is for tests and
// benchmarks only.
package projtest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Append appends an event of tenant's with data d and time at straight to
// st, as a late or system event arrives (no command decides it), and
// returns its stream sequence; it fails tb if it cannot.
func Append(tb testing.TB, st *eventstore.Store, tenant string, at time.Time, d event.Data) uint64 {
	tb.Helper()
	env, err := event.New(tenant, uuid.NewString(), at, d)
	if err != nil {
		tb.Fatal(err)
	}
	subject, err := env.StreamSubject()
	if err != nil {
		tb.Fatal(err)
	}
	a, err := st.Append(context.Background(), eventstore.Pending{Event: env, Subject: subject})
	if err != nil {
		tb.Fatal(err)
	}
	return a.Seq
}

// Corrupting is mod, but its projection, once it has applied an event,
// also applies corrupt to it in the same transaction: a store the read side
// cannot read, for the tests of how the read side fails.
func Corrupting(mod projector.Module, corrupt func(tx *projector.Tx, ev projector.Event) error) projector.Module {
	mod.Projection = corrupting{mod.Projection, corrupt}
	return mod
}

type corrupting struct {
	projector.Projection
	corrupt func(tx *projector.Tx, ev projector.Event) error
}

func (c corrupting) Apply(ctx context.Context, tx *projector.Tx, ev projector.Event) error {
	if err := c.Projection.Apply(ctx, tx, ev); err != nil {
		return err
	}
	return c.corrupt(tx, ev)
}

// Layout implements projector.Layouter with the layout of the projection
// it corrupts (0, none, if it has none).
func (c corrupting) Layout() int {
	if l, ok := c.Projection.(projector.Layouter); ok {
		return l.Layout()
	}
	return 0
}
