package allowance

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// CountersFloor is a projection on the allowance's filters that makes the
// allowance's counter writes, all but a retraction's undoing of what the
// recipients received, and nothing else: for each kudos, the giver's
// points spent in the period and, for each recipient, points and count
// received in the period and all time; for each retraction, the giver's
// refund. It reads nothing and ignores members, policies and boosts: it
// takes each recipient's period to be the giver's (the allowance works it
// out in the recipient's time zone, from the member and the policy it
// keeps), and keeps no record of the kudos (the allowance undoes the
// receipts from its record). Its catch-up bounds the allowance's
// (BenchmarkAllowance's catchup/floor-counters).
func CountersFloor() projector.Projection { return countersFloor{} }

type countersFloor struct {
	noRefund bool // a broken floor for the floor's test: refunds nothing
}

func (f countersFloor) Name() string {
	if f.noRefund {
		return Name + "_counters_floor_no_refund"
	}
	return Name + "_counters_floor"
}
func (countersFloor) Filters() []string { return Projection{}.Filters() }
func (f countersFloor) Apply(tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.KudosGiven:
		var buf [128]byte
		if err := addInt(tx, projector.AppendKey(buf[:0], ev.Tenant, d.Giver, d.Period), d.Spent); err != nil {
			return err
		}
		for _, r := range d.Recipients {
			if err := addReceived(tx, buf[:0], ev.Tenant, r, d.Period, d.Points, 1); err != nil {
				return err
			}
		}
	case event.KudosRetracted:
		if f.noRefund {
			return nil
		}
		return addInt(tx, key(ev.Tenant, d.Giver, d.Period), -d.Refunded)
	}
	return nil
}
