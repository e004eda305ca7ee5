package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
)

// PostsRelay is the name of the relay that posts a tenant's public kudos
// to its teams' channels: its durable consumer, and where its dead
// letters are kept. Renaming it delivers again from the settings'
// creation.
func PostsRelay(tenant string) string { return "slack_" + tenant + "_posts" }

// NudgesRelay is the name of the relay that sends a tenant's nudges as
// direct messages.
func NudgesRelay(tenant string) string { return "slack_" + tenant + "_nudges" }

// relays are a tenant's relays, starting at its settings' creation (st);
// what they send with they read from cur when each event comes, so that
// a change of the settings needs no restart.
func (a *App) relays(st settings, cur *atomic.Pointer[settings]) []relay.Relay {
	log := a.log.With("tenant", st.tenant) // the senders'; a relay logs with its name and tenant
	base := func(name, description, filter string, send func(context.Context, event.Envelope, []byte) error) relay.Relay {
		return relay.Relay{
			Stream: a.store.Stream(), Name: name, Description: description, Tenant: st.tenant, Filter: filter,
			Start: st.createdAt, Send: send, Retries: a.retries, Dead: a.dead, Log: a.log,
		}
	}
	return []relay.Relay{
		base(PostsRelay(st.tenant), "Slack channel posts of "+st.tenant+"'s public kudos",
			event.KudosSubject(st.tenant, "*", "given"), a.poster(cur, log)),
		base(NudgesRelay(st.tenant), "Slack direct messages of "+st.tenant+"'s nudges",
			event.NudgeSubject(st.tenant, "*", "delivered"), a.nudger(cur, log)),
	}
}

// errNoSettings is a relay's event that came when it has no settings
// (they were just removed, and the relay is about to stop): it is
// retried, not passed over.
var errNoSettings = errors.New("slack: no settings")

// deliverable decodes env and reports whether a relay may deliver it
// (chat.Deliverable), on the settings as they are now.
func (a *App) deliverable(ctx context.Context, cur *atomic.Pointer[settings], env event.Envelope) (*settings, event.Data, bool, error) {
	st := cur.Load()
	if st == nil {
		return nil, nil, false, errNoSettings
	}
	d, err := env.Decode()
	if err != nil {
		return nil, nil, false, backoff.Permanent(err)
	}
	ok, err := chat.Deliverable(ctx, a.cmd, st.tenant, env, d)
	return st, d, ok, err
}

// outcome classifies a failed Web API call for a relay: a token Slack no
// longer takes stops the relay until the settings change (every event
// would fail alike); a refusal no retry can change (a channel gone, the
// bot not in it) dead-letters the event; the rest, rate limits included,
// is retried.
func outcome(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission", "missing_scope":
			return relay.Halt(err)
		}
	}
	if !retryable(err) {
		return backoff.Permanent(err)
	}
	return err
}

// poster posts each public kudos to the channels of its recipients'
// teams (the default channel for a team without one), once per channel;
// one retracted before its turn came is not posted. A kudos retried
// after some of its posts went out posts only the rest.
func (a *App) poster(cur *atomic.Pointer[settings], log *slog.Logger) func(context.Context, event.Envelope, []byte) error {
	var (
		current string          // the event being delivered
		posted  map[string]bool // its channels posted to so far
	)
	return func(ctx context.Context, env event.Envelope, _ []byte) error {
		st, d, ok, err := a.deliverable(ctx, cur, env)
		if err != nil || !ok {
			return err
		}
		k, ok := d.(event.KudosGiven)
		if !ok {
			return nil
		}
		channels := a.channelsFor(*st, k)
		if len(channels) == 0 {
			log.DebugContext(ctx, "kudos not posted: no channel for its recipients' teams", "event_id", env.ID)
			return nil
		}
		if current != env.ID {
			current, posted = env.ID, map[string]bool{}
		}
		b := bot{a.api, st.botToken}
		text := a.postText(st.tenant, k)
		for _, ch := range channels {
			if posted[ch] {
				continue
			}
			if _, err := b.post(ctx, ch, text, nil); err != nil {
				return outcome(err)
			}
			posted[ch] = true
		}
		log.DebugContext(ctx, "kudos posted to slack", "event_id", env.ID, "channels", len(channels))
		return nil
	}
}

// channelsFor lists the channels a kudos goes to, each once, in order.
func (a *App) channelsFor(st settings, k event.KudosGiven) []string {
	var out []string
	for _, r := range k.Recipients {
		ch := st.defaultChannel
		if m, ok := a.cmd.Directory().Member(st.tenant, r); ok && st.channels[m.Team] != "" {
			ch = st.channels[m.Team]
		}
		if ch != "" && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// who names a member in Slack: a mention when the directory knows their
// Slack id, else their name.
func (a *App) who(tenant, id string) string {
	m, ok := a.cmd.Directory().Member(tenant, id)
	switch {
	case ok && m.SlackUserID != "":
		return "<@" + m.SlackUserID + ">"
	case ok && m.Name != "":
		return "*" + escape(m.Name) + "*"
	}
	return escape(id)
}

// postText is a kudos as its channel post says it.
func (a *App) postText(tenant string, k event.KudosGiven) string {
	to := make([]string, len(k.Recipients))
	for i, r := range k.Recipients {
		to[i] = a.who(tenant, r)
	}
	giver := a.who(tenant, k.Giver)
	if strings.HasPrefix(k.Giver, command.SystemGiverPrefix) {
		giver = "A customer"
	}
	s := fmt.Sprintf(":tada: %s recognised %s (%s", giver, chat.And(to), chat.Count(k.Points, "point"))
	if len(k.Recipients) > 1 {
		s += " each"
	}
	s += ")"
	if len(k.Values) > 0 {
		s += " for #" + strings.Join(k.Values, " #")
	}
	return s + "\n>" + strings.ReplaceAll(escape(k.Message), "\n", "\n>")
}

// nudger sends each nudge delivered to its member as a direct message
// with buttons to acknowledge or dismiss it. The rules engine decided
// that it is delivered (opt-in, caps, quiet hours); the relay only
// carries it. A member without a Slack id is passed over.
func (a *App) nudger(cur *atomic.Pointer[settings], log *slog.Logger) func(context.Context, event.Envelope, []byte) error {
	return func(ctx context.Context, env event.Envelope, _ []byte) error {
		st, d, ok, err := a.deliverable(ctx, cur, env)
		if err != nil || !ok {
			return err
		}
		b := bot{a.api, st.botToken}
		n, ok := d.(event.NudgeDelivered)
		if !ok {
			return nil
		}
		m, ok := a.cmd.Directory().Member(st.tenant, n.Member)
		if !ok || m.SlackUserID == "" {
			log.DebugContext(ctx, "nudge not sent to slack: the member has no slack id", "event_id", env.ID, "member", n.Member)
			return nil
		}
		dm, err := b.openDM(ctx, m.SlackUserID)
		if err != nil {
			return outcome(err)
		}
		if _, err := b.post(ctx, dm, escape(n.Message), nudgeBlocks(n.NudgeID, escape(n.Message))); err != nil {
			return outcome(err)
		}
		log.DebugContext(ctx, "nudge sent to slack", "event_id", env.ID, "member", n.Member)
		return nil
	}
}

// nudgeBlocks are a nudge's message (mrkdwn, escaped) and its buttons.
func nudgeBlocks(nudgeID, text string) []block {
	button := func(label, action, style string) block {
		b := block{"type": "button", "action_id": action, "value": nudgeID,
			"text": block{"type": "plain_text", "text": label}}
		if style != "" {
			b["style"] = style
		}
		return b
	}
	return []block{
		{"type": "section", "text": block{"type": "mrkdwn", "text": text}},
		{"type": "actions", "block_id": "nudge", "elements": []block{
			button("Acknowledge", ActionAcknowledge, "primary"),
			button("Dismiss", ActionDismiss, ""),
		}},
	}
}

// settledBlocks are a nudge's message once answered: its text (as Slack
// sent it back, escaped) and what became of it, without the buttons.
func settledBlocks(text string, ack bool) []block {
	status := ":white_check_mark: Acknowledged"
	if !ack {
		status = ":wave: Dismissed"
	}
	return []block{
		{"type": "section", "text": block{"type": "mrkdwn", "text": text}},
		{"type": "context", "elements": []block{{"type": "mrkdwn", "text": status}}},
	}
}
