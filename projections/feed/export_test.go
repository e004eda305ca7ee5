package feed

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
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
	mod := Module()
	mod.Projection = corrupting{mod.Projection.(Projection)}
	return mod
}

type corrupting struct{ Projection }

func (c corrupting) Apply(tx *projector.Tx, ev projector.Event) error {
	if err := c.Projection.Apply(tx, ev); err != nil {
		return err
	}
	d, ok := ev.Data.(event.KudosGiven)
	switch {
	case ok && d.Message == CorruptMessage:
		return tx.Put(bItems, key(ev.Tenant, ev.ID), []byte{0xff})
	case ok && d.Message == CorruptEntryMessage:
		return tx.AppendEntry(bIndex, key(ev.Tenant, "given:"+d.Giver, ""), ev.Seq, []byte{0x01})
	}
	return nil
}

// WritesFloor is a projection on the feed's filters that makes the feed's
// writes and, of its reads, only those that decide whether a reaction or
// a retraction writes at all (is the kudos's item there?): each kudos's
// item and index entries, each reaction's counters, each retraction's
// delete, each member's team. It keeps the members' teams in a map
// instead of reading them, and tells no read cache. Its catch-up bounds
// the feed's (BenchmarkFeed's catchup/floor-writes).
func WritesFloor() projector.Projection { return writesFloor{teams: map[string][]byte{}} }

type writesFloor struct {
	teams map[string][]byte // tenant 0 member -> team
	// unchecked makes a broken floor for the floor's test: it counts
	// reactions without looking for their kudos.
	unchecked bool
}

func (f writesFloor) Name() string {
	if f.unchecked {
		return Name + "_writes_floor_unchecked"
	}
	return Name + "_writes_floor"
}
func (writesFloor) Filters() []string { return Projection{}.Filters() }
func (f writesFloor) Apply(tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		k := key(ev.Tenant, d.Member)
		f.teams[string(k)] = []byte(d.Team)
		return tx.Put(bMembers, k, []byte(d.Team))
	case event.KudosGiven:
		var buf [128]byte
		return putKudos(tx, ev, d, buf[:0], func(m string) []byte {
			return f.teams[string(projector.AppendKey(buf[:0], ev.Tenant, m))]
		})
	case event.ReactionAdded:
		k := key(ev.Tenant, d.KudosID)
		if !f.unchecked && tx.Get(bItems, k) == nil {
			return nil
		}
		if err := tx.Add(bReacted, k, 1); err != nil {
			return err
		}
		return tx.Add(bReactions, key(ev.Tenant, d.KudosID, d.Emoji), 1)
	case event.KudosRetracted:
		k := key(ev.Tenant, d.KudosID)
		if tx.Get(bItems, k) == nil {
			return nil
		}
		return tx.Delete(bItems, k)
	}
	return nil
}
