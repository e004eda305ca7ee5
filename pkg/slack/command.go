package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// ephemeral is an answer in place that only the person who asked sees.
type ephemeral struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// serveCommand answers a /kudos slash command in place.
func (a *App) serveCommand(ctx context.Context, w http.ResponseWriter, in inbound) {
	form, err := url.ParseQuery(string(in.body))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "body", "a slash command is form-encoded")
		return
	}
	if form.Get("ssl_check") == "1" {
		// Slack checking the URL's certificate: nothing to answer.
		w.WriteHeader(http.StatusOK)
		return
	}
	if !in.fromWorkspace(w, form.Get("team_id")) {
		return
	}
	text := a.giveFromCommand(ctx, in.settings, form.Get("user_id"), form.Get("text"), form.Get("trigger_id"))
	writeJSON(w, ephemeral{ResponseType: "ephemeral", Text: text})
}

// commandSeed names a slash command for its kudos' id: Slack's
// trigger_id is unique to the invocation, so the same request sent again
// gives nothing new.
func commandSeed(tenant, trigger string) string {
	if trigger == "" {
		return ""
	}
	return "slack-command\x00" + tenant + "\x00" + trigger
}

// giveFromCommand gives the kudos of a /kudos text from Slack user user,
// and says what came of it: what was given and what is left, or why not.
func (a *App) giveFromCommand(ctx context.Context, st settings, user, text, trigger string) string {
	k, err := parseKudos(text)
	if err != nil {
		return usage
	}
	giver, err := a.member(ctx, st, user)
	if err != nil {
		return a.lookupFailed(st, err, "you are")
	}
	to := make([]string, 0, len(k.users))
	for _, u := range k.users {
		m, err := a.member(ctx, st, u)
		if err != nil {
			return a.lookupFailed(st, err, "<@"+u+"> is")
		}
		to = append(to, m.Member)
	}
	seed := commandSeed(st.tenant, trigger)
	// A request sent again (Slack's retry, the same trigger_id) is
	// answered as the first, even past the stream's duplicate window: the
	// command answers a seed's kudos as a replay.
	res, err := chat.Give(ctx, a.cmd, command.GiveKudos{
		Tenant: st.tenant, From: giver.Member, To: to, Message: k.message, Values: k.values, Points: k.points,
		Visibility: event.Public, Channel: event.ChannelChat, IDSeed: seed,
	})
	var answer string
	if why, refused := chat.Refusal(err); refused {
		answer = "Not given: " + why + "."
	} else if err != nil {
		a.log.Warn("kudos from slack not recorded", "tenant", st.tenant, "err", err)
		return chat.TryAgain
	} else {
		a.log.Info("kudos given from slack", "tenant", st.tenant, "event_id", res.Events[0].ID, "replayed", res.Replayed)
		answer = given(k)
	}
	// The request's deadline may have passed while the give was looked
	// up (chat.Give): what is left is read on a deadline of its own.
	lctx, cancel := chat.Detached(ctx)
	defer cancel()
	b, err := a.cmd.AllowanceOf(lctx, st.tenant, giver.Member)
	if err != nil {
		a.log.Warn("allowance unreadable", "tenant", st.tenant, "err", err)
		return answer
	}
	return answer + " " + chat.Left(b)
}

// lookupFailed says why a Slack user could not be mapped to a member:
// who is "you are" or "<@U…> is".
func (a *App) lookupFailed(st settings, err error, who string) string {
	var nm errNoMember
	if errors.As(err, &nm) {
		return "Not given: " + who + " not a member of Plaudit here: no member has this Slack account or its e-mail address. An admin can add it to the directory."
	}
	a.log.Warn("slack user lookup failed", "tenant", st.tenant, "err", err)
	return "Plaudit could not reach Slack to find who is who; please try again in a moment."
}

// given says what a /kudos gave.
func given(k kudosText) string {
	people := make([]string, len(k.users))
	for i, u := range k.users {
		people[i] = "<@" + u + ">"
	}
	each := ""
	if len(people) > 1 {
		each = " each"
	}
	s := fmt.Sprintf("You gave %s %s%s", chat.And(people), chat.Count(k.points, "point"), each)
	if len(k.values) > 0 {
		s += " for #" + strings.Join(k.values, " #")
	}
	return s + "."
}
