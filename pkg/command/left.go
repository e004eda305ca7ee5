package command

import (
	"context"
	"time"
)

// Allowance is a giver's allowance in one period as the write side
// decides gives on it: the limit (the tenant's amount and the boosts that
// overlap the period), the net points spent, and what is left.
type Allowance struct {
	Period    string
	Limit     int
	Spent     int
	Remaining int
	ResetsAt  time.Time
}

// AllowanceOf returns a member's allowance in their current period at the
// service's clock, from their own events, caught up with the stream first:
// what a chat integration answers "you have 2 left today" with right after
// a give, without waiting for the allowance projection to catch up.
func (s *Service) AllowanceOf(ctx context.Context, tenant, member string) (Allowance, error) {
	m, ok := s.dir.Member(tenant, member)
	if !ok {
		return Allowance{}, invalid("member", "no member %q in this tenant", member)
	}
	policy := s.dir.Policy(tenant)
	g := s.giver(tenant, member)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := catchUp(ctx, s, &g.aggregate); err != nil {
		return Allowance{}, err
	}
	p := PeriodAt(policy.Allowance.Period, s.now(), m.Location())
	limit := Limit(policy, m, s.dir.Boosts(tenant, m), p)
	spent := g.state.ledger.Spent(p.Key)
	return Allowance{Period: p.Key, Limit: limit, Spent: spent, Remaining: max(limit-spent, 0), ResetsAt: p.End}, nil
}
