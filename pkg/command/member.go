package command

import (
	"context"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// UpsertMember creates or replaces a member of the tenant's directory.
type UpsertMember struct {
	Tenant string
	event.MemberUpserted
	IDSeed string
}

// memberFields names the member commands' fields for the directory
// events': the member is the id the request names.
var memberFields = fieldNames{"member": "id"}

// UpsertMember appends the member's new state, or replays the current one
// when nothing changed, so that a directory sync can PUT every member every
// night without growing the stream.
func (s *Service) UpsertMember(ctx context.Context, c UpsertMember) (Result, error) {
	d := c.MemberUpserted
	d.Name = strings.TrimSpace(d.Name)
	if err := validateMember(d); err != nil {
		return Result{}, err
	}
	if cur, ok := s.dir.Member(c.Tenant, d.Member); ok && !cur.Left && cur.MemberUpserted == d {
		return replay(cur.EventID, event.MemberSubject(c.Tenant, d.Member, "upserted"), cur.Seq), nil
	}
	return s.appendNew(ctx, c.Tenant, eventID(c.IDSeed), d, memberFields)
}

// validateMember checks a member against what the member_upserted schema
// cannot say: that the id is not a system giver's, that the name reads as
// text, that nobody manages themselves, and that the time zone is one the
// zone database knows. Name, team and manager ids and lengths are the
// schema's.
//
// The id is checked here too, though the schema has it, because the
// event's subject (member/<id>) carries it: the schema then refuses two
// fields, and which of them it names is not fixed. Checked here, the field
// named is.
func validateMember(d event.MemberUpserted) error {
	switch {
	case !event.ValidID(d.Member):
		return invalid("id", "%q is not a valid member id (lower-case letters, digits, '-' and '_', at most 64)", d.Member)
	case strings.HasPrefix(d.Member, SystemGiverPrefix):
		return invalid("id", "%q starts with %q, which names the customers of a platform, not a member", d.Member, SystemGiverPrefix)
	case d.Manager == d.Member:
		return invalid("manager", "a member cannot be their own manager")
	case d.TimeZone == "Local":
		return invalid("time_zone", "%q is not an IANA time zone", d.TimeZone)
	}
	if err := checkLine("name", d.Name); err != nil {
		return err
	}
	// An empty zone loads as UTC: the schema requires one.
	if _, err := time.LoadLocation(d.TimeZone); err != nil {
		return invalid("time_zone", "%q is not an IANA time zone", d.TimeZone)
	}
	return nil
}

// RemoveMember records that a member left.
type RemoveMember struct {
	Tenant string
	Member string
	Reason string
	IDSeed string
}

// RemoveMember appends MemberLeft; removing a member who already left
// replays that event.
func (s *Service) RemoveMember(ctx context.Context, c RemoveMember) (Result, error) {
	cur, ok := s.dir.Member(c.Tenant, c.Member)
	if !ok {
		return Result{}, refuse(ErrNotFound, "id", "no member %q", c.Member)
	}
	if cur.Left {
		return replay(cur.EventID, event.MemberSubject(c.Tenant, c.Member, "left"), cur.Seq), nil
	}
	if err := checkLine("reason", c.Reason); err != nil {
		return Result{}, err
	}
	return s.appendNew(ctx, c.Tenant, eventID(c.IDSeed), event.MemberLeft{Member: c.Member, Reason: c.Reason}, memberFields)
}
