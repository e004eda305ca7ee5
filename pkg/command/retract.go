package command

import (
	"context"
	"errors"
	"fmt"
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
func (s *Service) findKudos(ctx context.Context, tenant, id string) (Kudos, kudosRef, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Kudos{}, kudosRef{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	ref, ok, err := s.dir.kudos.find(ctx, s.store, tenant, id)
	if err != nil {
		return Kudos{}, kudosRef{}, storeErr(err)
	}
	if !ok {
		return Kudos{}, kudosRef{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	rec, err := s.store.Get(ctx, ref.seq)
	if err != nil {
		return Kudos{}, kudosRef{}, storeErr(err)
	}
	d, err := rec.Decode()
	if err != nil {
		return Kudos{}, kudosRef{}, err
	}
	kg, ok := d.(event.KudosGiven)
	if !ok || rec.ID != id || rec.Tenant != tenant {
		return Kudos{}, kudosRef{}, fmt.Errorf("command: kudos index points %s at sequence %d, which holds %s", id, ref.seq, rec.ID)
	}
	return Kudos{KudosGiven: kg, ID: rec.ID, Seq: rec.Seq}, ref, nil
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
	if err := checkLine("reason", reason); err != nil {
		return Result{}, err
	}
	switch c.ByRole {
	case event.ByGiver, event.ByAdmin:
	default:
		return Result{}, invalid("by_role", "must be %q or %q", event.ByGiver, event.ByAdmin)
	}
	if !event.ValidID(c.By) {
		return Result{}, invalid("by", "%q is not a valid member or API key id", c.By)
	}
	k, _, err := s.findKudos(ctx, c.Tenant, c.KudosID)
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
		// The giver's aggregate, just caught up, has fed every retraction up
		// to g.seq into the index; the conditional append below makes sure
		// none came after.
		if ref, _ := s.dir.kudos.get(c.Tenant, k.ID); ref.retractID != "" {
			if ref.retractID == id {
				return replay(id, event.KudosSubject(c.Tenant, k.Giver, "retracted"), ref.retractSeq), nil
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
		res, err := s.appendOne(ctx, c.Tenant, id, now, data, &eventstore.Expectation{Filter: filter, Seq: g.seq})
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
	k, _, err := s.findKudos(ctx, tenant, id)
	return k, err
}
