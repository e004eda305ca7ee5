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
	d := normalMember(c.MemberUpserted)
	if err := validateMember(d); err != nil {
		return Result{}, err
	}
	if err := s.checkIdentities(c.Tenant, d, nil); err != nil {
		return Result{}, err
	}
	if cur, ok := s.dir.Member(c.Tenant, d.Member); ok && !cur.Left && cur.MemberUpserted == d {
		return replay(cur.EventID, event.MemberSubject(c.Tenant, d.Member, "upserted"), cur.Seq), nil
	}
	return s.appendNew(ctx, c.Tenant, eventID(c.IDSeed), d, memberFields)
}

// normalMember is d as stored: the name trimmed, the e-mail address and
// the Entra object id lower-case, as the schema has them.
func normalMember(d event.MemberUpserted) event.MemberUpserted {
	d.Name = strings.TrimSpace(d.Name)
	d.Email = strings.ToLower(strings.TrimSpace(d.Email))
	d.TeamsUserID = strings.ToLower(strings.TrimSpace(d.TeamsUserID))
	d.SlackUserID = strings.TrimSpace(d.SlackUserID)
	return d
}

// checkIdentities refuses a member whose Slack or Teams identity or e-mail
// address is another member's: a chat message must map to one member.
// Members in restated are passed over: their new state comes with d's.
// This is reference data checked against the directory, not an invariant
// under concurrency: two imports racing could both pass.
func (s *Service) checkIdentities(tenant string, d event.MemberUpserted, restated map[string]bool) error {
	for _, id := range identities(d) {
		if other, ok := s.dir.MemberWhere(tenant, func(m Member) bool {
			return m.Member != d.Member && !restated[m.Member] && id.of(m.MemberUpserted) == id.value
		}); ok {
			return invalid(id.field, "%q is already member %q's", id.value, other.Member)
		}
	}
	return nil
}

// identity is one of a member's identities outside Plaudit.
type identity struct {
	field, value string
	of           func(event.MemberUpserted) string
}

// identities lists the identities d has.
func identities(d event.MemberUpserted) []identity {
	all := []identity{
		{"email", d.Email, func(m event.MemberUpserted) string { return m.Email }},
		{"slack_user_id", d.SlackUserID, func(m event.MemberUpserted) string { return m.SlackUserID }},
		{"teams_user_id", d.TeamsUserID, func(m event.MemberUpserted) string { return m.TeamsUserID }},
	}
	var out []identity
	for _, id := range all {
		if id.value != "" {
			out = append(out, id)
		}
	}
	return out
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
