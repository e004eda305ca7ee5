package command

import (
	"github.com/plaudit/plaudit/pkg/event"
)

// Ledger is the allowance aggregate of one giver, folded from their given and
// retracted events: net points spent per period. It is pure state; Service
// keeps one per giver together with the stream sequence it reflects.
type Ledger struct {
	spent map[string]int
}

// Apply folds one of the giver's events into the ledger.
func (l *Ledger) Apply(d event.Data) {
	if l.spent == nil {
		l.spent = map[string]int{}
	}
	switch e := d.(type) {
	case event.KudosGiven:
		l.spent[e.Period] += e.Spent
	case event.KudosRetracted:
		l.spent[e.Period] -= e.Refunded
	}
}

// Spent is the net spend in the period with key.
func (l *Ledger) Spent(key string) int { return l.spent[key] }

// Forget drops every period but keep once the ledger holds more than a
// few, bounding memory to the live period.
func (l *Ledger) Forget(keep string) {
	if len(l.spent) <= 4 {
		return
	}
	for k := range l.spent {
		if k != keep {
			delete(l.spent, k)
		}
	}
}

// Limit is the giver's allowance in period p: the tenant's amount plus every
// boost for them or their team overlapping p.
func Limit(policy event.PolicySet, m Member, boosts []event.AllowanceBoosted, p Period) int {
	limit := policy.Allowance.Amount
	for _, b := range boosts {
		if (b.Member != "" && b.Member == m.Member) || (b.Team != "" && b.Team == m.Team) {
			if p.Overlaps(b.From, b.To) {
				limit += b.Points
			}
		}
	}
	return limit
}

// CheckAllowance decides whether need points fit in what is left of p.
func CheckAllowance(l *Ledger, limit, need int, p Period) error {
	spent := l.Spent(p.Key)
	if remaining := limit - spent; need > remaining {
		return &AllowanceError{
			Requested: need, Limit: limit, Spent: spent, Remaining: max(remaining, 0),
			Period: p.Key, ResetsAt: p.End,
		}
	}
	return nil
}
