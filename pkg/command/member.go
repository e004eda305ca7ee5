package command

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

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
	res, err := s.appendOne(ctx, c.Tenant, eventID(c.IDSeed), s.now(), d, nil)
	return res, storeErr(err, memberFields)
}

func validateMember(d event.MemberUpserted) error {
	switch {
	case !event.ValidID(d.Member):
		return invalid("id", "%q is not a valid member id (lower-case letters, digits, '-' and '_', at most 64)", d.Member)
	case strings.HasPrefix(d.Member, SystemGiverPrefix):
		return invalid("id", "%q starts with %q, which names the customers of a platform, not a member", d.Member, SystemGiverPrefix)
	case d.Name == "":
		return invalid("name", "is required")
	case utf8.RuneCountInString(d.Name) > 200:
		return invalid("name", "is longer than 200 characters")
	}
	if err := checkLine("name", d.Name); err != nil {
		return err
	}
	switch {
	case !event.ValidID(d.Team):
		return invalid("team", "%q is not a valid team id", d.Team)
	case d.Manager != "" && !event.ValidID(d.Manager):
		return invalid("manager", "%q is not a valid member id", d.Manager)
	case d.Manager == d.Member:
		return invalid("manager", "a member cannot be their own manager")
	case d.TimeZone == "":
		return invalid("time_zone", "is required (an IANA name such as Europe/Lisbon)")
	}
	if _, err := time.LoadLocation(d.TimeZone); err != nil || d.TimeZone == "Local" {
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
	if utf8.RuneCountInString(c.Reason) > 500 {
		return Result{}, invalid("reason", "is longer than 500 characters")
	}
	if err := checkLine("reason", c.Reason); err != nil {
		return Result{}, err
	}
	res, err := s.appendOne(ctx, c.Tenant, eventID(c.IDSeed), s.now(), event.MemberLeft{Member: c.Member, Reason: c.Reason}, nil)
	return res, storeErr(err, memberFields)
}
