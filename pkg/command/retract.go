package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
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

// retractFields names RetractKudos's fields for kudos_retracted's.
var retractFields = fieldNames{"kudos_id": "id"}

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
		return Kudos{}, kudosRef{}, storeErr(err, nil)
	}
	if !ok {
		return Kudos{}, kudosRef{}, refuse(ErrNotFound, "id", "no kudos %q", id)
	}
	rec, err := s.store.Get(ctx, ref.seq)
	if err != nil {
		return Kudos{}, kudosRef{}, storeErr(err, nil)
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

// retractInputs is what deciding a retraction takes besides the giver's
// state: the kudos, the retraction's id, and the tenant's allowance period
// and the giver as the directory has them.
type retractInputs struct {
	kudos  Kudos
	id     string
	period string // event.PeriodDay, …
	giver  Member // the zero Member (UTC) for a system giver
}

// RetractKudos appends a retraction conditionally on the giver's whole
// aggregate, so a retraction and a give racing for the same allowance are
// ordered, and two retractions of one kudos cannot both pass. Points come
// back when the kudos is retracted in the period it was given in.
func (s *Service) RetractKudos(ctx context.Context, c RetractKudos) (Result, error) {
	// Who may retract depends on the role: a role that is neither would
	// pass the giver's check below unchecked, so it is refused first,
	// rather than left to the event's schema.
	switch c.ByRole {
	case event.ByGiver, event.ByAdmin:
	default:
		return Result{}, invalid("by_role", "must be %q or %q", event.ByGiver, event.ByAdmin)
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if err := checkLine("reason", c.Reason); err != nil {
		return Result{}, err
	}
	k, _, err := s.findKudos(ctx, c.Tenant, c.KudosID)
	if err != nil {
		return Result{}, err
	}
	giver, _ := s.dir.Member(c.Tenant, k.Giver)
	in := retractInputs{kudos: k, id: eventID(c.IDSeed), period: s.dir.Policy(c.Tenant).Allowance.Period, giver: giver}
	g := s.giver(c.Tenant, k.Giver)
	g.mu.Lock()
	defer g.mu.Unlock()
	return update(ctx, s, c.Tenant, &g.aggregate, change[*giverState]{
		// Read the giver's newest events first: a retraction made
		// through another process is answered at once, not after a
		// conflict.
		fresh: true,
		decide: func(st *giverState, now time.Time) (decision, error) {
			return decideRetract(st, c, in, now)
		},
		fields: retractFields,
		busy:   func() error { return exhausted("id", "kudos %q is busy; retry", k.ID) },
	})
}

// decideRetract decides a retraction on the state of the kudos' giver at
// now: only the giver or an admin may retract, a kudos is retracted once
// (its retraction retried is answered with it), and the points come back
// when it is retracted in the period it was given in.
func decideRetract(st *giverState, c RetractKudos, in retractInputs, now time.Time) (decision, error) {
	k := in.kudos
	if c.ByRole == event.ByGiver && c.By != k.Giver {
		return decision{}, refuse(ErrForbidden, "id", "only the giver or an admin can retract kudos %q", k.ID)
	}
	if r, ok := st.retracted[k.ID]; ok {
		if r.id == in.id {
			return replaying(r.id, event.KudosSubject(c.Tenant, k.Giver, "retracted"), r.seq), nil
		}
		return decision{}, refuse(ErrConflict, "id", "kudos %q is already retracted", k.ID)
	}
	d := event.KudosRetracted{KudosID: k.ID, Giver: k.Giver, By: c.By, ByRole: c.ByRole, Reason: c.Reason, Period: k.Period}
	if PeriodAt(in.period, now, in.giver.Location()).Key == k.Period {
		d.Refunded = k.Spent
	}
	return appending(newEvent{id: in.id, data: d}), nil
}

// Kudos returns a stored kudos by id, for readers that must apply its
// visibility (ErrNotFound when there is none).
func (s *Service) Kudos(ctx context.Context, tenant, id string) (Kudos, error) {
	k, _, err := s.findKudos(ctx, tenant, id)
	return k, err
}
