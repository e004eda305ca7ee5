// Package projtest holds what the tests of several projection packages
// share: a module whose projection writes what its read side cannot read.
// It is for tests only.
package projtest

import (
	"context"

	"github.com/plaudit/plaudit/pkg/projector"
)

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
