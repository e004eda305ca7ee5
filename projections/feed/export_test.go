package feed

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// CorruptMessage marks the kudos whose item CorruptingModule stores
// unreadable.
const CorruptMessage = "Thanks for the handover; this one is stored unreadable"

// CorruptingModule is Module(), but its projection stores the item of a
// kudos with CorruptMessage as bytes no item decodes from; its index
// entries are as Module's.
func CorruptingModule() projector.Module {
	mod := Module()
	mod.Projection = corrupting{mod.Projection.(Projection)}
	return mod
}

type corrupting struct{ Projection }

func (c corrupting) Apply(tx *projector.Tx, ev projector.Event) error {
	if err := c.Projection.Apply(tx, ev); err != nil {
		return err
	}
	if d, ok := ev.Data.(event.KudosGiven); ok && d.Message == CorruptMessage {
		return tx.Put(bItems, key(ev.Tenant, ev.ID), []byte{0xff})
	}
	return nil
}
