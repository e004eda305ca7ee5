package feed

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

// CorruptMessage marks the kudos whose item CorruptingModule stores
// unreadable.
const CorruptMessage = "Thanks for the handover; this one is stored unreadable"

// CorruptEntryMessage marks the kudos CorruptingModule adds an unreadable
// index entry for, in its giver's given feed.
const CorruptEntryMessage = "Thanks for the rota swap; this one gets an unreadable index entry"

// CorruptingModule is Module(), but its projection stores the item of a
// kudos with CorruptMessage as bytes no item decodes from, and adds an
// index entry no entry parses from to the given feed of the giver of a
// kudos with CorruptEntryMessage; the rest is as Module's.
func CorruptingModule() projector.Module {
	return projtest.Corrupting(Module(), func(tx *projector.Tx, ev projector.Event) error {
		d, ok := ev.Data.(event.KudosGiven)
		switch {
		case ok && d.Message == CorruptMessage:
			return tx.Put(bItems, key(ev.Tenant, ev.ID), []byte{0xff})
		case ok && d.Message == CorruptEntryMessage:
			return tx.Put(bIndex, append(key(ev.Tenant, "given:"+d.Giver, ""), 0x01), []byte(ev.ID))
		}
		return nil
	})
}
