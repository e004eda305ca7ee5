package command

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Limits of a kudos.
const (
	MaxRecipients = 20
	MaxPoints     = 100
	MaxValues     = 10
)

// GiveKudos is the command to recognise 1–20 colleagues.
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

// GiveKudos validates the command, checks the giver's allowance in the
// current period of their time zone against their own events, and appends
// the kudos conditionally on the giver's last kudos given, deciding again on
// every conflict. Racing requests can therefore never overspend.
func (s *Service) GiveKudos(ctx context.Context, c GiveKudos) (Result, error) {
	giver, data, err := s.validateGive(c)
	if err != nil {
		return Result{}, err
	}
	policy := s.dir.Policy(c.Tenant)
	need := data.Points * len(data.Recipients)
	filter := event.GiverFilter(c.Tenant, c.From)
	given := event.KudosSubject(c.Tenant, c.From, "given")
	id := eventID(c.IDSeed)

	g := s.giver(c.Tenant, c.From)
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.loaded {
		if err := s.catchUp(ctx, g, filter); err != nil {
			return Result{}, err
		}
	}
	refreshed := false
	for range maxAttempts {
		now := s.now()
		p := PeriodAt(policy.Allowance.Period, now, giver.Location())
		limit := Limit(policy, giver, s.dir.Boosts(c.Tenant, giver), p)
		if err := CheckAllowance(&g.ledger, limit, need, p); err != nil {
			// The cache may have missed a refund made through another
			// process: refuse only on the aggregate as it is now.
			if !refreshed {
				refreshed = true
				if err := s.catchUp(ctx, g, filter); err != nil {
					return Result{}, err
				}
				continue
			}
			// The retry of a give that spent the last points is answered
			// with the kudos it stored.
			if ref, ok := s.dir.kudos.get(c.Tenant, id); ok && c.IDSeed != "" {
				return replay(id, event.KudosSubject(c.Tenant, ref.giver, "given"), ref.seq), nil
			}
			return Result{}, err
		}
		data.Period, data.Spent = p.Key, need
		res, err := s.appendOne(ctx, c.Tenant, id, now, data, &eventstore.Expectation{Filter: given, Seq: g.given})
		if errors.Is(err, eventstore.ErrConflict) {
			if err := s.catchUp(ctx, g, filter); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		if !res.Replayed {
			g.ledger.Apply(data)
			g.given = res.Events[0].Seq
			g.ledger.Forget(p.Key)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "from", "giver %q is busy; retry", c.From)
}

func (s *Service) validateGive(c GiveKudos) (Member, event.KudosGiven, error) {
	var zero event.KudosGiven
	giver, err := s.activeMember(c.Tenant, c.From, "from")
	if err != nil {
		return Member{}, zero, err
	}
	switch {
	case len(c.To) == 0:
		return Member{}, zero, invalid("to", "needs at least one recipient")
	case len(c.To) > MaxRecipients:
		return Member{}, zero, invalid("to", "has %d recipients; at most %d", len(c.To), MaxRecipients)
	}
	for i, r := range c.To {
		if slices.Contains(c.To[:i], r) { // at most 20: no map needed
			return Member{}, zero, invalid("to", "lists %q twice", r)
		}
		if r == c.From {
			return Member{}, zero, invalid("to", "includes the giver %q: nobody recognises themselves", r)
		}
		if _, err := s.activeMember(c.Tenant, r, "to"); err != nil {
			return Member{}, zero, err
		}
	}
	policy := s.dir.Policy(c.Tenant)
	if err := CheckMessage(c.Message, policy.MessageRules); err != nil {
		return Member{}, zero, err
	}
	values := []string{}
	if len(c.Values) > MaxValues {
		return Member{}, zero, invalid("values", "has %d values; at most %d", len(c.Values), MaxValues)
	}
	for _, v := range c.Values {
		switch {
		case !event.ValidID(v):
			return Member{}, zero, invalid("values", "%q is not a valid value name", v)
		case len(policy.Values) > 0 && !slices.Contains(policy.Values, v):
			return Member{}, zero, invalid("values", "%q is not one of this tenant's values (%s)", v, strings.Join(policy.Values, ", "))
		case slices.Contains(values, v):
			return Member{}, zero, invalid("values", "lists %q twice", v)
		}
		values = append(values, v)
	}
	if c.Points < 1 || c.Points > MaxPoints {
		return Member{}, zero, invalid("points", "must be between 1 and %d per recipient, got %d", MaxPoints, c.Points)
	}
	if c.Visibility != event.Public && c.Visibility != event.Private {
		return Member{}, zero, invalid("visibility", "must be %q or %q", event.Public, event.Private)
	}
	switch c.Channel {
	case event.ChannelAPI, event.ChannelCLI, event.ChannelChat, event.ChannelRule:
	default:
		return Member{}, zero, invalid("channel", "must be one of api, cli, chat, rule")
	}
	if c.Cause != nil {
		if err := checkLine("cause.event_id", c.Cause.EventID); err != nil {
			return Member{}, zero, err
		}
		if err := checkLine("cause.type", c.Cause.Type); err != nil {
			return Member{}, zero, err
		}
	}
	return giver, event.KudosGiven{
		Giver:      c.From,
		Recipients: slices.Clone(c.To),
		Message:    strings.TrimSpace(c.Message),
		Values:     values,
		Points:     c.Points,
		Visibility: c.Visibility,
		Channel:    c.Channel,
		Cause:      c.Cause,
	}, nil
}
