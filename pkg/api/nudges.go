package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// Nudges are personal: a member's own, read and answered by them, or by
// an integration (a chat bot) or admin on their behalf. Managers see
// nothing of their reports' nudges.
func nudgeReader(p auth.Principal, member string) bool {
	if p.Role.Personal() {
		return p.Member == member
	}
	return p.Role == auth.Admin || p.Role == auth.Integration
}

// nudgedMember authenticates a read of the nudges or preferences (what)
// of the member in the path, which the tenant must know, and writes the
// problem when it may not be read.
func (g *Gateway) nudgedMember(w http.ResponseWriter, r *http.Request, what string) (auth.Principal, uint64, string, command.Member, bool) {
	p, minSeq, ok := g.reader(w, r)
	if !ok {
		return p, 0, "", command.Member{}, false
	}
	id, ok := memberPath(w, r)
	if !ok {
		return p, 0, "", command.Member{}, false
	}
	if !nudgeReader(p, id) {
		writeProblem(w, forbidden("id", "a member's "+what+" are for them, and for integration and admin keys acting for them"))
		return p, 0, "", command.Member{}, false
	}
	m, found := g.cmd.Directory().Member(p.Tenant, id)
	if !found {
		writeProblem(w, notFound("id", "no member "+id))
		return p, 0, "", command.Member{}, false
	}
	return p, minSeq, id, m, true
}

func setPreferences(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.PreferencesRequest) (int, any, error) {
	if p.Role.Personal() && p.Member != c.ID {
		return 0, nil, forbidden("id", "a "+string(p.Role)+" key sets its own member's preferences only")
	}
	if q := b.QuietHours; q != nil && (q.Start == "" || q.End == "") {
		field := "quiet_hours.start"
		if q.Start != "" {
			field = "quiet_hours.end"
		}
		return 0, nil, invalidField(field, "is required with quiet_hours (HH:MM); leave quiet_hours out to follow the tenant's")
	}
	return written(g.cmd.SetPreferences(ctx, command.SetPreferences{Tenant: p.Tenant, IDSeed: c.IdempotencyKey,
		PreferencesSet: event.PreferencesSet{Member: c.ID, Nudges: b.Nudges, QuietHours: b.QuietHours}}))
}

func settleNudge(ack bool) bodyFunc[apiv1.SettleRequest] {
	return func(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.SettleRequest) (int, any, error) {
		member, err := actingMemberAs(p, b.Member, "member")
		if err != nil {
			return 0, nil, err
		}
		return written(g.cmd.SettleNudge(ctx, command.SettleNudge{Tenant: p.Tenant, Member: member, NudgeID: c.ID, Acknowledge: ack}))
	}
}

// ratingPath splits the {id...} of /v1/ratings/{platform}/{interaction_id}.
func ratingPath(id string) (platform, interaction string, err error) {
	platform, interaction, ok := strings.Cut(id, "/")
	if !ok || platform == "" || interaction == "" {
		return "", "", notFound("interaction_id", "name the rating as /v1/ratings/{platform}/{interaction_id}")
	}
	return platform, interaction, nil
}

func correctRating(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.CorrectionRequest) (int, any, error) {
	platform, interaction, err := ratingPath(c.ID)
	if err != nil {
		return 0, nil, err
	}
	if b.Score == nil {
		return 0, nil, invalidField("score", "is required")
	}
	if b.OccurredAt == "" {
		return 0, nil, invalidField("occurred_at", "is required (RFC 3339): a correction carries the whole rating")
	}
	at, err := occurredAt(b.OccurredAt)
	if err != nil {
		return 0, nil, err
	}
	return written(g.cmd.CorrectRating(ctx, command.CorrectRating{Tenant: p.Tenant, RatingCorrected: event.RatingCorrected{
		Platform: platform, InteractionID: interaction, Agent: b.Agent, Score: *b.Score, Scale: b.Scale,
		Comment: b.Comment, Channel: b.Channel, HandleTimeSeconds: b.HandleTimeSeconds, OccurredAt: at, Reason: b.Reason,
	}}))
}

func withdrawRating(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.WithdrawalRequest) (int, any, error) {
	platform, interaction, err := ratingPath(c.ID)
	if err != nil {
		return 0, nil, err
	}
	return written(g.cmd.WithdrawRating(ctx, command.WithdrawRating{Tenant: p.Tenant, Platform: platform, InteractionID: interaction, Reason: b.Reason}))
}

// servePreferences answers GET /v1/members/{id}/preferences: the member's
// choices with the tenant's policy applied, as the write side decides
// nudges now. For the same keys as the member's nudges.
func (g *Gateway) servePreferences(w http.ResponseWriter, r *http.Request) {
	p, _, id, m, ok := g.nudgedMember(w, r, "preferences")
	if !ok {
		return
	}
	if m.Left { // as PUT: a member who left has no preferences to set
		writeProblem(w, notFound("id", "no member "+id))
		return
	}
	dir := g.cmd.Directory()
	policy := dir.Policy(p.Tenant).Nudges
	prefs, _ := dir.Preferences(p.Tenant, id)
	out := apiv1.Preferences{Member: id, TimeZone: m.TimeZone, Nudges: map[string]apiv1.KindPreference{},
		QuietHours: command.QuietHoursOf(policy, prefs.PreferencesSet), QuietHoursFrom: "tenant", DailyCap: policy.DailyCap}
	if prefs.QuietHours != nil {
		out.QuietHoursFrom = "member"
	}
	for _, kind := range event.NudgeKinds {
		out.Nudges[kind] = apiv1.KindPreference{Offer: policy.Offer(kind), Choice: prefs.Nudges.Of(kind),
			Receives: command.Wants(policy, prefs.Nudges, kind)}
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeProblem(w, toProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, body)
}
