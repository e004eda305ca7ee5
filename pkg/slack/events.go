package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// callback is an Events API request: the URL check, or an event.
type callback struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	TeamID    string `json:"team_id"`
	EventID   string `json:"event_id"`
	Event     struct {
		Type     string `json:"type"`
		User     string `json:"user"`
		Reaction string `json:"reaction"`
		ItemUser string `json:"item_user"`
		Item     struct {
			Type    string `json:"type"`
			Channel string `json:"channel"`
			TS      string `json:"ts"`
		} `json:"item"`
	} `json:"event"`
}

// serveEvent answers the Events API: the URL check with its challenge,
// and the reactions. An event that failed for a reason worth retrying is
// answered 503, so that Slack sends it again (X-Slack-Retry-Num); a
// reaction's kudos has an id of its own, so it is given once however
// often it comes.
func (a *App) serveEvent(ctx context.Context, w http.ResponseWriter, in inbound) {
	var cb callback
	if err := json.Unmarshal(in.body, &cb); err != nil {
		writeProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "body", "an Events API request is a JSON object")
		return
	}
	if cb.Type == "url_verification" {
		// Slack's check of the URL names no workspace: it is the app's,
		// and answering it with its own challenge gives nothing away.
		writeJSON(w, map[string]string{"challenge": cb.Challenge})
		return
	}
	if !in.fromWorkspace(w, cb.TeamID) {
		return
	}
	if cb.Type != "event_callback" {
		w.WriteHeader(http.StatusOK)
		return
	}
	var err error
	e := cb.Event
	if e.Item.Type == "message" && e.ItemUser != "" && emojiOf(e.Reaction) == in.reaction {
		r := reaction{user: e.User, author: e.ItemUser, channel: e.Item.Channel, ts: e.Item.TS, emoji: in.reaction}
		switch e.Type {
		case "reaction_added":
			err = a.react(ctx, in.settings, r)
		case "reaction_removed":
			err = a.unreact(ctx, in.settings, r)
		}
	}
	if err != nil {
		a.log.Warn("slack event not handled; Slack will send it again", "tenant", in.tenant, "slack_event_id", cb.EventID, "retry", in.retry, "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "try again shortly")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// emojiOf is a reaction's emoji without its skin tone: "+1::skin-tone-2"
// is "+1".
func emojiOf(reaction string) string {
	name, _, _ := strings.Cut(reaction, "::")
	return name
}

// reaction is the tenant's emoji on a message: who reacted, whose
// message, where.
type reaction struct {
	user, author, channel, ts, emoji string
}

// seed names the kudos of a reaction: the same person's same emoji on
// the same message is one kudos, however often Slack sends it, and
// whether it was removed and added again.
func (r reaction) seed(tenant string) string {
	return "slack-reaction\x00" + tenant + "\x00" + r.channel + "\x00" + r.ts + "\x00" + r.user + "\x00" + r.emoji
}

// maxQuote is how much of a message a reaction's kudos quotes.
const maxQuote = 280

// react gives a point from the member who reacted to the message's
// author, quoting the message. A refusal (the allowance spent, a
// reaction on one's own message) is told to the person who reacted, in
// the channel, where only they see it.
func (a *App) react(ctx context.Context, st settings, r reaction) error {
	giver, author, ok, err := a.reactionMembers(ctx, st, r)
	if !ok || err != nil {
		return err
	}
	// Given before, and perhaps retracted since, the reaction added
	// again gives nothing: the command answers its seed's kudos as a
	// replay.
	seed := r.seed(st.tenant)
	b := bot{a.api, st.botToken}
	text := ""
	m, found, err := b.messageAt(ctx, r.channel, r.ts)
	switch {
	case err != nil && retryable(err):
		return err
	case err != nil:
		a.log.Info("the reacted message is out of reach; kudos without its text", "tenant", st.tenant, "err", err)
	case found:
		text = quote(m.Text, maxQuote)
	}
	give := command.GiveKudos{
		Tenant: st.tenant, From: giver.Member, To: []string{author.Member}, Message: reactionMessage(r.emoji, text),
		Points: 1, Visibility: event.Public, Channel: event.ChannelChat, IDSeed: seed,
	}
	res, err := chat.Give(ctx, a.cmd, give)
	var ve *command.ValidationError
	if errors.As(err, &ve) && ve.Field == "message" && text != "" {
		// The message quoted breaks the tenant's message rules (too
		// short to pass, say): the kudos goes without the quote.
		give.Message = reactionMessage(r.emoji, "")
		res, err = chat.Give(ctx, a.cmd, give)
	}
	why, refused := chat.Refusal(err)
	switch {
	case err == nil:
		a.log.Info("kudos given by a slack reaction", "tenant", st.tenant, "event_id", res.Events[0].ID, "replayed", res.Replayed)
		return nil
	case !refused:
		return err
	}
	a.log.Debug("a slack reaction gave nothing", "tenant", st.tenant, "reason", why)
	if werr := b.whisper(ctx, r.channel, r.user, fmt.Sprintf("Your :%s: gave nothing: %s.", r.emoji, why)); werr != nil {
		a.log.Info("could not tell a slack user why their reaction gave nothing", "tenant", st.tenant, "err", werr)
	}
	return nil
}

// reactionMessage is the message of a reaction's kudos. It names the
// emoji and the message, so that it passes the rule against generic
// praise whatever the message said.
func reactionMessage(emoji, text string) string {
	if text == "" {
		return fmt.Sprintf(":%s: for your message in Slack", emoji)
	}
	return fmt.Sprintf(":%s: for your message: “%s”", emoji, text)
}

// unreact retracts the kudos of a reaction removed. The command decides
// whether it still may be; when not (or when the reaction never gave
// one), nothing happens.
func (a *App) unreact(ctx context.Context, st settings, r reaction) error {
	giver, _, ok, err := a.reactionMembers(ctx, st, r)
	if !ok || err != nil {
		return err
	}
	seed := r.seed(st.tenant)
	_, err = a.cmd.RetractKudos(ctx, command.RetractKudos{
		Tenant: st.tenant, KudosID: command.EventID(seed), By: giver.Member, ByRole: event.ByGiver,
		Reason: fmt.Sprintf("the :%s: reaction was removed in Slack", r.emoji), IDSeed: seed + "\x00removed",
	})
	why, refused := chat.Refusal(err)
	switch {
	case err == nil:
		a.log.Info("kudos retracted: its slack reaction was removed", "tenant", st.tenant)
		return nil
	case refused:
		a.log.Debug("a removed slack reaction retracted nothing", "tenant", st.tenant, "reason", why)
		return nil
	}
	return err
}

// reactionMembers maps who reacted and the message's author to members;
// ok is false when either is none (logged at debug).
func (a *App) reactionMembers(ctx context.Context, st settings, r reaction) (giver, author command.Member, ok bool, err error) {
	var nm errNoMember
	giver, err = a.member(ctx, st, r.user)
	if err == nil {
		author, err = a.member(ctx, st, r.author)
	}
	if errors.As(err, &nm) {
		a.log.Debug("a slack reaction between people who are not both members; passed over", "tenant", st.tenant)
		return giver, author, false, nil
	}
	return giver, author, err == nil, err
}
