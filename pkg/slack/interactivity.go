package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
)

// The action ids of a nudge's buttons; their value is the nudge's id.
const (
	ActionAcknowledge = "nudge_acknowledge"
	ActionDismiss     = "nudge_dismiss"
)

// interaction is the payload of a click on a button (block_actions).
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Container struct {
		ChannelID string `json:"channel_id"`
		MessageTS string `json:"message_ts"`
	} `json:"container"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Actions []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// serveInteraction settles a nudge whose button was clicked, as the
// member who clicked: the command service settles only that member's own
// nudges, so a nudge forwarded to another person is not theirs to settle.
// The message then says what became of it; a refusal is told to the
// person who clicked.
func (a *App) serveInteraction(ctx context.Context, w http.ResponseWriter, in inbound) {
	form, err := url.ParseQuery(string(in.body))
	var p interaction
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &p)
	}
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "payload", "an interaction is a form with a JSON payload")
		return
	}
	if !in.fromWorkspace(w, p.Team.ID) {
		return
	}
	if p.Type != "block_actions" {
		w.WriteHeader(http.StatusOK)
		return
	}
	for _, act := range p.Actions {
		if act.ActionID != ActionAcknowledge && act.ActionID != ActionDismiss {
			continue
		}
		if err := a.settle(ctx, in.settings, p, act.Value, act.ActionID == ActionAcknowledge); err != nil {
			a.log.Warn("nudge button not handled", "tenant", in.tenant, "err", err)
			writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "try again shortly")
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// settle acknowledges or dismisses a nudge as the member who clicked.
func (a *App) settle(ctx context.Context, st settings, p interaction, nudgeID string, ack bool) error {
	b := bot{a.api, st.botToken}
	channel := p.Container.ChannelID
	m, err := a.member(ctx, st, p.User.ID)
	var nm errNoMember
	if errors.As(err, &nm) {
		return b.whisper(ctx, channel, p.User.ID, "You are not a member of Plaudit here, so this nudge is not yours to answer.")
	}
	if err != nil {
		return err
	}
	_, err = a.cmd.SettleNudge(ctx, command.SettleNudge{Tenant: st.tenant, Member: m.Member, NudgeID: nudgeID, Acknowledge: ack})
	why, refused := chat.Refusal(err)
	switch {
	case err == nil:
	case refused:
		a.log.Debug("a nudge button settled nothing", "tenant", st.tenant, "reason", why)
		return b.whisper(ctx, channel, p.User.ID, "Nothing changed: "+why+".")
	default:
		return err
	}
	a.log.Info("nudge settled from slack", "tenant", st.tenant, "member", m.Member, "acknowledged", ack)
	return b.update(ctx, channel, p.Container.MessageTS, p.Message.Text, settledBlocks(p.Message.Text, ack))
}
