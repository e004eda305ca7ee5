package command

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// GiveKudos is the command to recognise one or more colleagues (the
// kudos_given schema bounds how many, and the points).
type GiveKudos struct {
	Tenant     string
	From       string
	To         []string
	Message    string
	Values     []string
	Points     int // per recipient
	Visibility string
	Channel    string
	Cause      *event.Cause
	// IDSeed makes the event id stable across retries; empty for a fresh id.
	IDSeed string
}

// giveFields names GiveKudos's fields for kudos_given's. Spent is points
// times recipients: a kudos spending more than the schema takes has too
// many points for its recipients.
var giveFields = fieldNames{"giver": "from", "recipients": "to", "spent": "points"}

// giveInputs is what deciding a give takes besides the giver's state: the
// kudos id and what the directory says of the tenant and the giver.
type giveInputs struct {
	tenant, id string
	policy     event.PolicySet
	giver      Member
	boosts     []event.AllowanceBoosted
}

// GiveKudos checks the command against the directory and the tenant's
// rules, decides it on the giver's allowance in the current period of their
// time zone, from their own events, and appends the kudos conditionally on
// the giver's last kudos given, deciding again on every conflict. Racing
// requests can therefore never overspend. The kudos' schema checks the
// rest (how many recipients and points, visibility, channel, ids) when it
// is appended.
func (s *Service) GiveKudos(ctx context.Context, c GiveKudos) (Result, error) {
	policy := s.dir.Policy(c.Tenant)
	giver, err := s.checkGive(c, policy)
	if err != nil {
		return Result{}, err
	}
	in := giveInputs{tenant: c.Tenant, id: eventID(c.IDSeed), policy: policy, giver: giver, boosts: s.dir.Boosts(c.Tenant, giver)}
	k := event.KudosGiven{
		Giver: c.From, Recipients: append([]string{}, c.To...), Message: strings.TrimSpace(c.Message),
		Values: append([]string{}, c.Values...), Points: c.Points, Visibility: c.Visibility, Channel: c.Channel, Cause: c.Cause,
	}
	given := event.KudosSubject(c.Tenant, c.From, "given")
	live := "" // the period of the kudos decided on
	g := s.giver(c.Tenant, c.From)
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := update(ctx, s, c.Tenant, &g.aggregate, change[*giverState]{
		decide: func(st *giverState, now time.Time) (decision, error) {
			// A give retried after JetStream's duplicate window (a chat
			// message delivered again, an Idempotency-Key kept longer) is
			// answered with the kudos its seed stored. The aggregate has
			// caught up with the giver's kudos, so the index holds it.
			if c.IDSeed != "" {
				if ref, ok, err := s.dir.kudos.get(c.Tenant, in.id); err != nil {
					return decision{}, storeErr(err, nil)
				} else if ok {
					return replaying(in.id, event.KudosSubject(c.Tenant, ref.giver, "given"), ref.seq), nil
				}
			}
			d, err := decideGive(st, k, in, now)
			if err == nil {
				live = d.events[0].data.(event.KudosGiven).Period
			}
			return d, err
		},
		// See giverState: a give is conditioned on the kudos given alone.
		expect: func(st *giverState) eventstore.Expectation {
			return eventstore.Expectation{Filter: given, Seq: st.given}
		},
		fields: giveFields,
		busy:   func() error { return exhausted("from", "giver %q is busy; retry", c.From) },
	})
	if err == nil && !res.Replayed {
		// Keep the ledger to the live period.
		g.state.ledger.Forget(live)
	}
	return res, err
}

// checkGive checks a give against what no schema can know: that the giver
// and the recipients are active members, that nobody recognises
// themselves, the tenant's message rules and values, and text that reads
// as text. It returns the giver.
func (s *Service) checkGive(c GiveKudos, policy event.PolicySet) (Member, error) {
	giver, err := s.activeMember(c.Tenant, c.From, "from")
	if err != nil {
		return Member{}, err
	}
	for _, r := range c.To {
		if r == c.From {
			return Member{}, breaks(RuleSelf, "to", "includes the giver %q: nobody recognises themselves", r)
		}
		if _, err := s.activeMember(c.Tenant, r, "to"); err != nil {
			return Member{}, err
		}
	}
	if err := CheckMessage(c.Message, policy.MessageRules); err != nil {
		return Member{}, err
	}
	if len(policy.Values) > 0 {
		for _, v := range c.Values {
			if !slices.Contains(policy.Values, v) {
				return Member{}, invalid("values", "%q is not one of this tenant's values (%s)", v, strings.Join(policy.Values, ", "))
			}
		}
	}
	if c.Cause != nil {
		if err := checkLine("cause.event_id", c.Cause.EventID); err != nil {
			return Member{}, err
		}
		if err := checkLine("cause.type", c.Cause.Type); err != nil {
			return Member{}, err
		}
	}
	return giver, nil
}

// decideGive decides kudos k, checked and not yet decided, on its giver's state
// at now: its points times its recipients count against the giver's
// allowance in their period at now (in their time zone), with the boosts
// that overlap it.
func decideGive(st *giverState, k event.KudosGiven, in giveInputs, now time.Time) (decision, error) {
	p := PeriodAt(in.policy.Allowance.Period, now, in.giver.Location())
	k.Period, k.Spent = p.Key, k.Points*len(k.Recipients)
	if refused := CheckAllowance(&st.ledger, Limit(in.policy, in.giver, in.boosts, p), k.Spent, p); refused != nil {
		// Refuse for the allowance only a kudos the stream would take:
		// told to wait for a reset, the giver of one its schema refuses
		// (more points than a kudos carries, a recipient twice) would
		// wait for nothing.
		env, err := event.New(in.tenant, in.id, now, k)
		if err != nil {
			return decision{}, err
		}
		if err := storable(env, giveFields); err != nil {
			return decision{}, err
		}
		return decision{}, refused
	}
	return appending(newEvent{id: in.id, data: k}), nil
}
