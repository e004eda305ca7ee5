package teams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// give carries out the give a verified activity asks for, as the member
// its sender is, and returns the answer to show in place: what was given
// and what is left, or why not. An error is a failure of the engine's,
// not a refusal.
func (t *Teams) give(ctx context.Context, tenant string, a Activity) (string, error) {
	dir := t.cmd.Directory()
	aad := strings.ToLower(strings.TrimSpace(a.From.AADObjectID))
	giver, ok := dir.MemberWhere(tenant, func(m command.Member) bool { return aad != "" && m.TeamsUserID == aad })
	if !ok {
		return "Not given: your Teams account is not linked to a Plaudit member. Ask an admin to set your teams_user_id.", nil
	}
	g := parseGive(a.Text, a.Entities)
	to, refusal := t.recipients(tenant, g.Mentions)
	if refusal != "" {
		return "Not given: " + refusal + " " + t.left(ctx, tenant, giver.Member), nil
	}
	points := g.Points
	if points == 0 {
		points = 1
	}
	values := g.Values
	if values == nil {
		values = []string{}
	}
	// The activity's id, within its conversation, makes the kudos' id: a
	// retried or replayed activity gives once. Past JetStream's duplicate
	// window the kudos is found by that id instead.
	seed := "teams\x00" + tenant + "\x00" + a.Conversation.ID + "\x00" + a.ID
	if k, err := t.cmd.Kudos(ctx, tenant, command.EventID(seed)); err == nil {
		return t.given(ctx, tenant, k.KudosGiven), nil
	} else if !errors.Is(err, command.ErrNotFound) {
		return t.refused(ctx, tenant, giver.Member, err)
	}
	res, err := t.cmd.GiveKudos(ctx, command.GiveKudos{
		Tenant: tenant, From: giver.Member, To: to, Message: g.Message, Values: values, Points: points,
		Visibility: event.Public, Channel: event.ChannelChat, IDSeed: seed,
	})
	if err != nil {
		return t.refused(ctx, tenant, giver.Member, err)
	}
	t.log.Info("kudos given from Teams", "tenant", tenant, "event_id", res.Events[0].ID, "replayed", res.Replayed)
	return t.given(ctx, tenant, event.KudosGiven{Giver: giver.Member, Recipients: to, Points: points, Values: values}), nil
}

// recipients maps the mentions to members: by Entra object id when the
// activity has it, else by a name that is exactly one active member's
// (case aside). It returns their ids, each once, or a refusal naming the
// mentions it could not map.
func (t *Teams) recipients(tenant string, mentions []mention) ([]string, string) {
	if len(mentions) == 0 {
		return nil, "mention who you recognise after the webhook, e.g. @Plaudit @Bo Berg +1 #ownership for staying on the outage bridge."
	}
	dir := t.cmd.Directory()
	var members []command.Member // the active ones, read once when needed
	var to, unknown, ambiguous []string
	for _, m := range mentions {
		var id string
		if m.aad != "" {
			if found, ok := dir.MemberWhere(tenant, func(x command.Member) bool { return x.TeamsUserID == m.aad }); ok {
				id = found.Member
			}
		}
		if id == "" {
			if members == nil {
				members = dir.Members(tenant)
			}
			var named []string
			for _, x := range members {
				if strings.EqualFold(x.Name, m.name) {
					named = append(named, x.Member)
				}
			}
			switch len(named) {
			case 0:
				unknown = append(unknown, quote(m.name))
				continue
			case 1:
				id = named[0]
			default:
				ambiguous = append(ambiguous, fmt.Sprintf("%s (members %s)", quote(m.name), strings.Join(named, ", ")))
				continue
			}
		}
		if !slices.Contains(to, id) {
			to = append(to, id)
		}
	}
	var why []string
	if len(unknown) > 0 {
		why = append(why, "no member of this tenant is called "+orList(unknown)+".")
	}
	if len(ambiguous) > 0 {
		why = append(why, "several members are called "+orList(ambiguous)+"; ask an admin to set their teams_user_id.")
	}
	return to, strings.Join(why, " ")
}

// refused is the answer to a give the write side refused, in the words
// the API uses, with what is left of the giver's allowance; an error the
// engine should answer itself is returned.
func (t *Teams) refused(ctx context.Context, tenant, giver string, err error) (string, error) {
	var (
		ae *command.AllowanceError
		ve *command.ValidationError
		se *command.StateError
	)
	switch {
	case errors.As(err, &ae):
		return "Not given: " + ae.Error() + ".", nil // it says what is left
	case errors.As(err, &ve), errors.As(err, &se):
		return "Not given: " + err.Error() + ". " + t.left(ctx, tenant, giver), nil
	case errors.Is(err, command.ErrUnavailable):
		return "Not given: Plaudit could not record it just now; send it again in a moment.", nil
	}
	return "", err
}

// given is the answer to a kudos given (or given before, for a retry).
func (t *Teams) given(ctx context.Context, tenant string, k event.KudosGiven) string {
	dir := t.cmd.Directory()
	names := make([]string, 0, len(k.Recipients))
	for _, r := range k.Recipients {
		names = append(names, nameOf(dir, tenant, r))
	}
	each := ""
	if len(k.Recipients) > 1 {
		each = " each"
	}
	s := fmt.Sprintf("Given %d %s%s to %s", k.Points, plural(k.Points, "point"), each, andList(names))
	if len(k.Values) > 0 {
		s += " (#" + strings.Join(k.Values, ", #") + ")"
	}
	return s + ". " + t.left(ctx, tenant, k.Giver)
}

// left says what is left of the giver's allowance in their period now, ""
// when that cannot be read.
func (t *Teams) left(ctx context.Context, tenant, giver string) string {
	a, err := t.cmd.AllowanceOf(ctx, tenant, giver)
	if err != nil {
		return ""
	}
	when := "this period"
	switch {
	case strings.HasPrefix(a.Period, event.PeriodDay+":"):
		when = "today"
	case strings.HasPrefix(a.Period, event.PeriodWeek+":"):
		when = "this week"
	case strings.HasPrefix(a.Period, event.PeriodMonth+":"):
		when = "this month"
	}
	return fmt.Sprintf("You have %d of %d %s left %s.", a.Remaining, a.Limit, plural(a.Limit, "point"), when)
}

// nameOf is a member's name, their id when the directory has none.
func nameOf(dir *command.Directory, tenant, id string) string {
	if m, ok := dir.Member(tenant, id); ok && m.Name != "" {
		return m.Name
	}
	return id
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func quote(s string) string { return "\u201c" + s + "\u201d" }

// andList joins "a", "a and b", "a, b and c".
func andList(s []string) string { return joinLast(s, " and ") }

// orList joins "a", "a or b", "a, b or c".
func orList(s []string) string { return joinLast(s, " or ") }

func joinLast(s []string, last string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + last + s[len(s)-1]
}
