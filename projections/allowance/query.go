package allowance

import (
	"errors"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Balance is a member's allowance and recognition received.
type Balance struct {
	Member    string    `json:"member"`
	Period    string    `json:"period"`
	Limit     int       `json:"limit"`
	Spent     int       `json:"spent"`
	Remaining int       `json:"remaining"`
	ResetsAt  time.Time `json:"resets_at"` // in the member's time zone
	TimeZone  string    `json:"time_zone"`
	// Received in the member's current period, and all time.
	ReceivedPeriod Received `json:"received_period"`
	ReceivedTotal  Received `json:"received_total"`
}

// ErrNotFound: no such member in the tenant.
var ErrNotFound = errors.New("allowance: no such member")

// Read returns a member's balance at now.
func Read(rd *projector.Reader, tenant, memberID string, now time.Time) (Balance, error) {
	return read(rd, tenant, memberID, now, &readCaches{})
}

func read(rd *projector.Reader, tenant, memberID string, now time.Time, c *readCaches) (Balance, error) {
	rules, err := c.rules(rd, tenant)
	if err != nil {
		return Balance{}, err
	}
	var p command.Period
	mb, err := c.member(rd, tenant, memberID, func(m command.Member) string {
		p = command.PeriodAt(rules.policy.Allowance.Period, now, m.Location())
		return p.Key
	})
	if err != nil {
		return Balance{}, err
	}
	if !mb.found {
		return Balance{}, ErrNotFound
	}
	// ResetsAt keeps the member's zone, as the write side's refusals do.
	bal := Balance{
		Member: memberID, Period: p.Key, Limit: command.Limit(rules.policy, mb.m, rules.boosts, p), ResetsAt: p.End, TimeZone: mb.m.TimeZone,
		Spent: mb.spent, ReceivedPeriod: mb.recv, ReceivedTotal: mb.total,
	}
	bal.Remaining = max(bal.Limit-bal.Spent, 0)
	return bal, nil
}
