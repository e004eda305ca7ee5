package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// MaxImport bounds the members of one import; JetStream's atomic batches
// hold at most 1,000 messages.
const MaxImport = 500

// ImportMembers upserts many members at once, as a people system syncing
// its directory does.
type ImportMembers struct {
	Tenant  string
	Members []event.MemberUpserted
	IDSeed  string
}

// ImportMembers checks every member first, then appends one MemberUpserted
// per member that changed, atomically: all of them or, on any failure,
// none. Unchanged members append nothing; an import that changes nothing
// is a replay of nothing. A refusal names the member by its place in the
// import: "members[3].time_zone".
func (s *Service) ImportMembers(ctx context.Context, c ImportMembers) (Result, error) {
	switch n := len(c.Members); {
	case n == 0:
		return Result{}, invalid("members", "needs at least one member")
	case n > MaxImport:
		return Result{}, invalid("members", "has %d members; at most %d per import", n, MaxImport)
	}
	seen := map[string]bool{}
	claimed := map[string]string{} // field and identity -> member
	// The import states these members' identities whole: an identity may
	// move between two of them.
	imported := map[string]bool{}
	for _, d := range c.Members {
		imported[d.Member] = true
	}
	var (
		batch []eventstore.Pending
		at    []int // the place in c.Members of each event in batch
	)
	now := s.now()
	for i, d := range c.Members {
		d = normalMember(d)
		if err := validateMember(d); err != nil {
			return Result{}, inImport(i, err)
		}
		if seen[d.Member] {
			return Result{}, invalid(fmt.Sprintf("members[%d].id", i), "lists %q twice", d.Member)
		}
		seen[d.Member] = true
		for _, id := range identities(d) {
			k := id.field + "\x00" + id.value
			if other, ok := claimed[k]; ok {
				return Result{}, invalid(fmt.Sprintf("members[%d].%s", i, id.field), "%q is also member %q's in this import", id.value, other)
			}
			claimed[k] = d.Member
		}
		if err := s.checkIdentities(c.Tenant, d, imported); err != nil {
			return Result{}, inImport(i, err)
		}
		if cur, ok := s.dir.Member(c.Tenant, d.Member); ok && !cur.Left && cur.MemberUpserted == d {
			continue
		}
		seed := ""
		if c.IDSeed != "" {
			seed = c.IDSeed + "\x00" + d.Member
		}
		env, err := event.New(c.Tenant, eventID(seed), now, d)
		if err != nil {
			return Result{}, err
		}
		batch = append(batch, eventstore.Pending{Event: env})
		at = append(at, i)
	}
	if len(batch) == 0 {
		return Result{Replayed: true}, nil
	}
	appended, err := s.store.AppendBatch(ctx, batch)
	if errors.Is(err, eventstore.ErrDuplicate) {
		// The retry of an import whose batch was stored already.
		return Result{Replayed: true}, nil
	}
	if errors.Is(err, schema.ErrInvalid) {
		// The store does not say which event its schema refused: find it,
		// to name the member.
		for j, p := range batch {
			if err := storable(p.Event, memberFields); err != nil {
				return Result{}, inImport(at[j], err)
			}
		}
	}
	if err != nil {
		return Result{}, storeErr(err, memberFields)
	}
	for i, a := range appended {
		if err := s.dir.Observe(eventstore.Recorded{Envelope: batch[i].Event, Subject: a.Subject, Seq: a.Seq}); err != nil {
			return Result{}, err
		}
	}
	return Result{Events: appended}, nil
}

// inImport names the field of a member's *ValidationError by the member's
// place i in the import.
func inImport(i int, err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return invalid(fmt.Sprintf("members[%d].%s", i, ve.Field), "%s", ve.Reason)
}
