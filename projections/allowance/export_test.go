package allowance

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// CountersFloor is a projection on the allowance's filters that makes the
// allowance's counter writes and nothing else: for each kudos, the giver's
// points spent in the period and, for each recipient, points and count
// received in the period and all time; for each retraction, the giver's
// refund and the recipients' receipts undone. It reads nothing from its
// store: it takes each recipient's period to be the giver's (the
// allowance works it out in the recipient's time zone, from the member and
// the policy it keeps), and remembers each kudos's receipts in a map where
// the allowance writes a record. Its catch-up bounds the allowance's
// (BenchmarkAllowance's catchup/floor-counters).
func CountersFloor() projector.Projection { return countersFloor{kudos: map[string]kudosRecord{}} }

type countersFloor struct {
	kudos map[string]kudosRecord // tenant 0 kudos id -> receipts
}

func (countersFloor) Name() string      { return Name + "_counters_floor" }
func (countersFloor) Filters() []string { return Projection{}.Filters() }
func (f countersFloor) Apply(tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.KudosGiven:
		var buf [128]byte
		if err := addInt(tx, projector.AppendKey(buf[:0], ev.Tenant, d.Giver, d.Period), d.Spent); err != nil {
			return err
		}
		rec := kudosRecord{points: d.Points, received: make([]receipt, 0, len(d.Recipients))}
		for _, r := range d.Recipients {
			rec.received = append(rec.received, receipt{r, d.Period})
			if err := addReceived(tx, buf[:0], ev.Tenant, r, d.Period, d.Points, 1); err != nil {
				return err
			}
		}
		f.kudos[string(key(ev.Tenant, ev.ID))] = rec
	case event.KudosRetracted:
		if err := addInt(tx, key(ev.Tenant, d.Giver, d.Period), -d.Refunded); err != nil {
			return err
		}
		k := string(key(ev.Tenant, d.KudosID))
		rec, ok := f.kudos[k]
		if !ok {
			return nil
		}
		delete(f.kudos, k)
		for _, r := range rec.received {
			if err := addReceived(tx, nil, ev.Tenant, r.member, r.period, -rec.points, -1); err != nil {
				return err
			}
		}
	}
	return nil
}
