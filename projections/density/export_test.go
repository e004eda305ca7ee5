package density

import (
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

// Bounds is Span.bounds: the span for a member in loc, [lo, hi).
func Bounds(s Span, loc *time.Location) (lo, hi time.Time) { return s.bounds(loc) }

// CorruptMessage marks the kudos whose moments CorruptingModule stores
// unreadable.
const CorruptMessage = "Thanks for the handover; this one is stored unreadable"

// CorruptingModule is Module(), but its projection stores the moments that
// kudos with CorruptMessage gave their recipients as bytes no moment
// decodes from: a store the read side cannot read.
func CorruptingModule() projector.Module {
	return projtest.Corrupting(Module(), func(tx *projector.Tx, ev projector.Event) error {
		if d, ok := ev.Data.(event.KudosGiven); ok && d.Message == CorruptMessage {
			for _, r := range d.Recipients {
				if err := tx.Put(bReceived, momentKey(nil, ev.Tenant, r, ev.Time, ev.Seq), []byte{0xff}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
