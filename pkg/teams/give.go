package teams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plaudit/plaudit/pkg/chat"
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
	// retried or replayed activity gives once, also past JetStream's
	// duplicate window (the command answers a seed's kudos as a replay),
	// and one whose answer came too late is answered as given
	// (chat.Give).
	seed := "teams\x00" + tenant + "\x00" + a.Conversation.ID + "\x00" + a.ID
	res, err := chat.Give(ctx, t.cmd, command.GiveKudos{
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
		why = append(why, "no member of this tenant is called "+chat.Or(unknown)+".")
	}
	if len(ambiguous) > 0 {
		why = append(why, "several members are called "+chat.Or(ambiguous)+"; ask an admin to set their teams_user_id.")
	}
	return to, strings.Join(why, " ")
}

// refused is the answer to a give the write side refused, in the words
// the API uses, with what is left of the giver's allowance; a give the
// engine could not decide in time is answered "try again"; any other
// error is returned, for the engine to answer itself.
func (t *Teams) refused(ctx context.Context, tenant, giver string, err error) (string, error) {
	why, refused := chat.Refusal(err)
	switch {
	case refused:
		return "Not given: " + why + ". " + t.left(ctx, tenant, giver), nil
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, command.ErrUnavailable):
		t.log.Warn("kudos from Teams not recorded", "tenant", tenant, "err", err)
		return chat.TryAgain, nil
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
	s := fmt.Sprintf("Given %s%s to %s", chat.Count(k.Points, "point"), each, chat.And(names))
	if len(k.Values) > 0 {
		s += " (#" + strings.Join(k.Values, ", #") + ")"
	}
	return s + ". " + t.left(ctx, tenant, k.Giver)
}

// left says what is left of the giver's allowance in their period now
// (chat.Left), "" when that cannot be read. It reads on a deadline of its
// own: the request's may have passed while the give was decided.
func (t *Teams) left(ctx context.Context, tenant, giver string) string {
	lctx, cancel := chat.Detached(ctx)
	defer cancel()
	a, err := t.cmd.AllowanceOf(lctx, tenant, giver)
	if err != nil {
		return ""
	}
	return chat.Left(a)
}

// nameOf is a member's name, their id when the directory has none.
func nameOf(dir *command.Directory, tenant, id string) string {
	if m, ok := dir.Member(tenant, id); ok && m.Name != "" {
		return m.Name
	}
	return id
}

func quote(s string) string { return "\u201c" + s + "\u201d" }
