package command

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// RetractKudos withdraws a kudos, by its giver or an admin.
type RetractKudos struct {
	Tenant  string
	KudosID string
	By      string // the member retracting, or the admin key's id
	ByRole  string // event.ByGiver or event.ByAdmin
	Reason  string
	IDSeed  string
}

// Kudos is a stored kudos as commands see it.
type Kudos struct {
	event.KudosGiven
	ID  string
	Seq uint64
}

// findKudos loads a kudos by id, without knowing its giver.
func (s *Service) findKudos(ctx context.Context, tenant, id string) (Kudos, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Kudos{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	rec, err := s.store.Last(ctx, event.KudosFilter(tenant, id, "given"))
	if errors.Is(err, eventstore.ErrNotFound) {
		return Kudos{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	if err != nil {
		return Kudos{}, storeErr(err)
	}
	d, err := rec.Decode()
	if err != nil {
		return Kudos{}, err
	}
	kg, ok := d.(event.KudosGiven)
	if !ok {
		return Kudos{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	return Kudos{KudosGiven: kg, ID: rec.ID, Seq: rec.Seq}, nil
}

// retracted reports whether the kudos has been retracted.
func (s *Service) retracted(ctx context.Context, tenant string, k Kudos) (bool, error) {
	_, err := s.store.Last(ctx, event.KudosSubject(tenant, k.Giver, k.ID, "retracted"))
	switch {
	case errors.Is(err, eventstore.ErrNotFound):
		return false, nil
	case err != nil:
		return false, storeErr(err)
	}
	return true, nil
}

// RetractKudos appends a retraction conditionally on the giver's aggregate,
// so a retraction and a give racing for the same allowance are ordered. Points
// come back when the kudos is retracted in the period it was given in.
func (s *Service) RetractKudos(ctx context.Context, c RetractKudos) (Result, error) {
	reason := strings.TrimSpace(c.Reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return Result{}, invalid("reason", "is required")
	case n > 500:
		return Result{}, invalid("reason", "is %d characters long; the limit is 500", n)
	}
	switch c.ByRole {
	case event.ByGiver, event.ByAdmin:
	default:
		return Result{}, invalid("by_role", "must be %q or %q", event.ByGiver, event.ByAdmin)
	}
	if !event.ValidID(c.By) {
		return Result{}, invalid("by", "%q is not a valid member or API key id", c.By)
	}
	k, err := s.findKudos(ctx, c.Tenant, c.KudosID)
	if err != nil {
		return Result{}, err
	}
	if c.ByRole == event.ByGiver && c.By != k.Giver {
		return Result{}, refuse(ErrForbidden, "id", "only the giver or an admin can retract kudos %q", k.ID)
	}
	giver, ok := s.dir.Member(c.Tenant, k.Giver)
	if !ok {
		giver = Member{}
	}
	policy := s.dir.Policy(c.Tenant)
	filter := event.GiverFilter(c.Tenant, k.Giver)
	id := eventID(c.IDSeed)

	g := s.giver(c.Tenant, k.Giver)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := s.catchUp(ctx, g, filter); err != nil {
		return Result{}, err
	}
	for range maxAttempts {
		done, err := s.retracted(ctx, c.Tenant, k)
		if err != nil {
			return Result{}, err
		}
		if done {
			if c.IDSeed != "" {
				res, ok, err := s.storedAs(ctx, event.KudosSubject(c.Tenant, k.Giver, k.ID, "retracted"), id)
				if err != nil {
					return Result{}, err
				}
				if ok {
					return res, nil
				}
			}
			return Result{}, refuse(ErrConflict, "id", "kudos %q is already retracted", k.ID)
		}
		now := s.now()
		data := event.KudosRetracted{
			KudosID: k.ID, Giver: k.Giver, By: c.By, ByRole: c.ByRole, Reason: reason, Period: k.Period,
		}
		if PeriodAt(policy.Allowance.Period, now, giver.Location()).Key == k.Period {
			data.Refunded = k.Spent
		}
		env, err := event.New(c.Tenant, id, now, data)
		if err != nil {
			return Result{}, err
		}
		res, err := s.appendOne(ctx, env, &eventstore.Expectation{Filter: filter, Seq: g.seq})
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
			g.seq = res.Events[0].Seq
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "id", "kudos %q is busy; retry", k.ID)
}

// Kudos returns a stored kudos by id, for readers that must apply its
// visibility (ErrNotFound when there is none).
func (s *Service) Kudos(ctx context.Context, tenant, id string) (Kudos, error) {
	return s.findKudos(ctx, tenant, id)
}
