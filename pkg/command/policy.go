package command

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
)

// Policy limits.
const (
	MaxAllowance   = 1000
	MaxPolicyValue = 50
	MaxBoostDays   = 366
)

// SetPolicy replaces the tenant's policy.
type SetPolicy struct {
	Tenant string
	event.PolicySet
	IDSeed string
}

// SetPolicy validates and appends the policy; an unchanged policy replays.
// Rules or Nudges left at their zero value (never valid) take the defaults.
func (s *Service) SetPolicy(ctx context.Context, c SetPolicy) (Result, error) {
	p := c.PolicySet
	if p.Values == nil {
		p.Values = []string{}
	}
	if p.Rules == (event.Rules{}) {
		p.Rules = event.DefaultPolicy().Rules
	}
	if p.Nudges == (event.NudgePolicy{}) {
		p.Nudges = event.DefaultPolicy().Nudges
	}
	if err := validatePolicy(p); err != nil {
		return Result{}, err
	}
	s.dir.mu.RLock()
	var cur *event.PolicySet
	var curID string
	var curSeq uint64
	if td := s.dir.tenants[c.Tenant]; td != nil {
		cur, curID, curSeq = td.policy, td.policyID, td.policySeq
	}
	s.dir.mu.RUnlock()
	if cur != nil && policyEqual(*cur, p) {
		return replay(curID, event.PolicySubject(c.Tenant), curSeq), nil
	}
	res, err := s.appendOne(ctx, c.Tenant, eventID(c.IDSeed), s.now(), p, nil)
	return res, storeErr(err, nil)
}

func policyEqual(a, b event.PolicySet) bool {
	return a.Allowance == b.Allowance && a.MessageRules == b.MessageRules && slices.Equal(a.Values, b.Values) &&
		a.Rules == b.Rules && a.Nudges == b.Nudges
}

func validatePolicy(p event.PolicySet) error {
	if p.Allowance.Amount < 1 || p.Allowance.Amount > MaxAllowance {
		return invalid("allowance.amount", "must be between 1 and %d", MaxAllowance)
	}
	switch p.Allowance.Period {
	case event.PeriodDay, event.PeriodWeek, event.PeriodMonth:
	default:
		return invalid("allowance.period", "must be day, week or month")
	}
	if len(p.Values) > MaxPolicyValue {
		return invalid("values", "has %d values; at most %d", len(p.Values), MaxPolicyValue)
	}
	for i, v := range p.Values {
		if !event.ValidID(v) {
			return invalid("values", "%q is not a valid value name (lower-case letters, digits, '-' and '_')", v)
		}
		if slices.Contains(p.Values[:i], v) {
			return invalid("values", "lists %q twice", v)
		}
	}
	if p.MessageRules.MinLength < 1 || p.MessageRules.MinLength > 500 {
		return invalid("message_rules.min_length", "must be between 1 and 500")
	}
	return nil
}

// BoostAllowance grants extra points to a member or a team for a date range.
type BoostAllowance struct {
	Tenant string
	event.AllowanceBoosted
	IDSeed string
}

// BoostAllowance validates and appends the boost. The allowance check of
// every later give counts it.
func (s *Service) BoostAllowance(ctx context.Context, c BoostAllowance) (Result, error) {
	d := c.AllowanceBoosted
	switch {
	case (d.Member == "") == (d.Team == ""):
		return Result{}, invalid("member", "name exactly one of member or team")
	case d.Member != "":
		if !event.ValidID(d.Member) {
			return Result{}, invalid("member", "%q is not a valid member id", d.Member)
		}
		if _, ok := s.dir.Member(c.Tenant, d.Member); !ok {
			return Result{}, invalid("member", "no member %q in this tenant", d.Member)
		}
	default:
		if !event.ValidID(d.Team) || !s.dir.TeamExists(c.Tenant, d.Team) {
			return Result{}, invalid("team", "no team %q in this tenant", d.Team)
		}
	}
	if d.Points < 1 || d.Points > MaxAllowance {
		return Result{}, invalid("points", "must be between 1 and %d", MaxAllowance)
	}
	from, err := time.Parse(time.DateOnly, d.From)
	if err != nil {
		return Result{}, invalid("from", "must be a date such as 2026-11-23")
	}
	to, err := time.Parse(time.DateOnly, d.To)
	if err != nil {
		return Result{}, invalid("to", "must be a date such as 2026-11-27")
	}
	if to.Before(from) {
		return Result{}, invalid("to", "is before from")
	}
	if to.Sub(from) > MaxBoostDays*24*time.Hour {
		return Result{}, invalid("to", "a boost spans at most %d days", MaxBoostDays)
	}
	if utf8.RuneCountInString(d.Reason) > 500 {
		return Result{}, invalid("reason", "is longer than 500 characters")
	}
	if err := checkLine("reason", d.Reason); err != nil {
		return Result{}, err
	}
	d.BoostID = eventID(c.IDSeed)
	res, err := s.appendOne(ctx, c.Tenant, d.BoostID, s.now(), d, nil)
	return res, storeErr(err, nil)
}
