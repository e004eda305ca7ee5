package command

import (
	"context"
	"slices"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Policy limits.
const (
	// MaxAllowance is the most points a tenant's allowance, and a boost,
	// may grant: the tenant_policy_set and allowance_boosted schemas'
	// maximum, for callers that set the most there is.
	MaxAllowance = 1000
	// MaxBoostDays is the longest span of one boost.
	MaxBoostDays = 366
)

// SetPolicy replaces the tenant's policy.
type SetPolicy struct {
	Tenant string
	event.PolicySet
	IDSeed string
}

// SetPolicy appends the policy; an unchanged policy replays. Rules or
// Nudges left at their zero value (never valid) take the defaults. What a
// policy may hold is the tenant_policy_set schema's to say: every field of
// it is the command's own.
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
	return s.appendNew(ctx, c.Tenant, eventID(c.IDSeed), p, nil)
}

func policyEqual(a, b event.PolicySet) bool {
	return a.Allowance == b.Allowance && a.MessageRules == b.MessageRules && slices.Equal(a.Values, b.Values) &&
		a.Rules == b.Rules && a.Nudges == b.Nudges
}

// BoostAllowance grants extra points to a member or a team for a date range.
type BoostAllowance struct {
	Tenant string
	event.AllowanceBoosted
	IDSeed string
}

// BoostAllowance checks the boost against the directory and its dates
// against each other, and appends it. The allowance check of every later
// give counts it. Its points and the reason's length are the
// allowance_boosted schema's.
func (s *Service) BoostAllowance(ctx context.Context, c BoostAllowance) (Result, error) {
	d := c.AllowanceBoosted
	switch {
	case (d.Member == "") == (d.Team == ""):
		// The schema has this rule too, but names no field when it
		// refuses.
		return Result{}, invalid("member", "name exactly one of member or team")
	case d.Member != "":
		if _, ok := s.dir.Member(c.Tenant, d.Member); !ok {
			return Result{}, invalid("member", "no member %q in this tenant", d.Member)
		}
	default:
		if !s.dir.TeamExists(c.Tenant, d.Team) {
			return Result{}, invalid("team", "no team %q in this tenant", d.Team)
		}
	}
	// The dates are read here, not only by the schema: the span is a rule
	// on both.
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
	if err := checkLine("reason", d.Reason); err != nil {
		return Result{}, err
	}
	d.BoostID = eventID(c.IDSeed)
	return s.appendNew(ctx, c.Tenant, d.BoostID, d, nil)
}
