package allowance

import (
	"errors"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/projector"
)

// ErrNotFound is returned when the tenant has no such member.
var ErrNotFound = errors.New("allowance: no such member")

// Read returns a member's balance at now.
func Read(rd *projector.Reader, tenant, memberID string, now time.Time) (apiv1.Balance, error) {
	return read(rd, tenant, memberID, now, &readCaches{})
}

func read(rd *projector.Reader, tenant, memberID string, now time.Time, c *readCaches) (apiv1.Balance, error) {
	rules, err := c.rules(rd, tenant)
	if err != nil {
		return apiv1.Balance{}, err
	}
	var p command.Period
	mb, err := c.member(rd, tenant, memberID, func(m command.Member) string {
		p = command.PeriodAt(rules.policy.Allowance.Period, now, m.Location())
		return p.Key
	})
	if err != nil {
		return apiv1.Balance{}, err
	}
	if !mb.found {
		return apiv1.Balance{}, ErrNotFound
	}
	// ResetsAt keeps the member's zone, as the write side's refusals do.
	bal := apiv1.Balance{
		Member: memberID, Period: p.Key, Limit: command.Limit(rules.policy, mb.m, rules.boosts, p), ResetsAt: p.End, TimeZone: mb.m.TimeZone,
		Spent: mb.spent, ReceivedPeriod: mb.recv, ReceivedTotal: mb.total,
	}
	bal.Remaining = max(bal.Limit-bal.Spent, 0)
	return bal, nil
}
