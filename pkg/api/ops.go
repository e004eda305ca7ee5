package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// op is how the gateway runs one operation of the contract (apiv1.Ops,
// by name): who may call it (roles), what it does in a refusal's words
// (verb), and its handler.
type op struct {
	roles []auth.Role
	verb  string
	handler
}

// handler runs an operation; body is the type its body decodes into (nil:
// it reads none), which must be the one apiv1 declares.
type handler struct {
	fn   opFunc
	body reflect.Type
}

// bodyFunc is a handler of an operation whose body is a B.
type bodyFunc[B any] func(ctx context.Context, g *Gateway, p auth.Principal, c Call, b B) (int, any, error)

// Whether an operation's body may be empty.
const (
	required = false
	optional = true
)

// with makes the handler of an operation with a body of type B: the body
// is decoded (decode; an empty one as B's zero value when optional) before
// fn runs.
func with[B any](emptyOK bool, fn bodyFunc[B]) handler {
	return handler{body: reflect.TypeFor[B](), fn: func(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
		var b B
		read := decode
		if emptyOK {
			read = decodeOptional
		}
		if err := read(c.Body, &b); err != nil {
			return 0, nil, err
		}
		return fn(ctx, g, p, c, b)
	}}
}

func (o op) allowed(r auth.Role) bool { return slices.Contains(o.roles, r) }

var (
	givers   = []auth.Role{auth.Admin, auth.Integration, auth.Member, auth.Manager}
	admins   = []auth.Role{auth.Admin}
	syncers  = []auth.Role{auth.Admin, auth.Integration}
	raters   = []auth.Role{auth.Admin, auth.Publisher}
	nudged   = []auth.Role{auth.Admin, auth.Integration, auth.Member, auth.Manager}
	everyone = []auth.Role{auth.Admin, auth.Integration, auth.Member, auth.Manager, auth.Analyst}
)

var ops map[string]op

func init() {
	ops = map[string]op{
		apiv1.OpGiveKudos:      {givers, "give kudos", with(required, giveKudos)},
		apiv1.OpReact:          {givers, "react to kudos", with(required, react)},
		apiv1.OpRetract:        {givers, "retract kudos", with(optional, retract)},
		apiv1.OpRecordRating:   {raters, "record ratings", with(required, recordRating)},
		apiv1.OpUpsertMember:   {syncers, "change members", with(required, upsertMember)},
		apiv1.OpRemoveMember:   {syncers, "remove members", with(optional, removeMember)},
		apiv1.OpSetPolicy:      {admins, "set the policy", with(required, setPolicy)},
		apiv1.OpBoost:          {admins, "boost allowances", with(required, boost)},
		apiv1.OpCreateKey:      {admins, "create API keys", with(required, createKey)},
		apiv1.OpListKeys:       {admins, "list API keys", handler{fn: listKeys}},
		apiv1.OpCreateSession:  {syncers, "make sign-in links", with(required, createSession)},
		apiv1.OpRevokeKey:      {admins, "revoke API keys", handler{fn: revokeKey}},
		apiv1.OpImportMembers:  {syncers, "change members", with(required, importMembers)},
		apiv1.OpCorrectRating:  {raters, "correct ratings", with(required, correctRating)},
		apiv1.OpWithdrawRating: {raters, "withdraw ratings", with(optional, withdrawRating)},
		apiv1.OpSetPreferences: {nudged, "set nudge preferences", with(required, setPreferences)},
		apiv1.OpAckNudge:       {nudged, "acknowledge nudges", with(optional, settleNudge(true))},
		apiv1.OpDismissNudge:   {nudged, "dismiss nudges", with(optional, settleNudge(false))},

		apiv1.OpCreateNATSCreds: {admins, "issue NATS credentials", with(required, createNATSCreds)},
		apiv1.OpListNATSCreds:   {admins, "list NATS credentials", handler{fn: listNATSCreds}},
		apiv1.OpRevokeNATSCreds: {admins, "revoke NATS credentials", handler{fn: revokeNATSCreds}},

		apiv1.OpCreateWebhook:     {admins, "create webhooks", with(required, createWebhook)},
		apiv1.OpListWebhooks:      {admins, "list webhooks", handler{fn: listWebhooks}},
		apiv1.OpGetWebhook:        {admins, "read webhooks", handler{fn: getWebhook}},
		apiv1.OpDeleteWebhook:     {admins, "delete webhooks", handler{fn: deleteWebhook}},
		apiv1.OpRotateWebhook:     {admins, "rotate webhook secrets", with(optional, rotateWebhook)},
		apiv1.OpWebhookDeliveries: {admins, "read webhook deliveries", handler{fn: webhookDeliveries}},
		apiv1.OpRedeliverWebhook:  {admins, "redeliver webhooks", with(optional, redeliverWebhook)},

		apiv1.OpConfigureIntegration: {admins, "configure integrations", handler{body: reflect.TypeFor[json.RawMessage](), fn: func(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
			return configureIntegration(ctx, g, p, c, c.Body)
		}}},
		apiv1.OpGetIntegration:    {admins, "read integrations", handler{fn: getIntegration}},
		apiv1.OpRemoveIntegration: {admins, "remove integrations", handler{fn: removeIntegration}},
	}
}

// actingMember is who the caller acts as: a personal key acts as its member
// and may not name another; an admin or integration key names the member in
// from, or acts as its bound member.
func actingMember(p auth.Principal, from string) (string, error) {
	return actingMemberAs(p, from, "from")
}

// actingMemberAs is actingMember with the member named in field.
func actingMemberAs(p auth.Principal, from, field string) (string, error) {
	if p.Role.Personal() {
		if from != "" && from != p.Member {
			return "", forbidden(field, "a "+string(p.Role)+" key acts as "+p.Member+" and cannot act as "+from)
		}
		return p.Member, nil
	}
	if from == "" {
		if p.Member != "" {
			return p.Member, nil
		}
		return "", invalidField(field, "is required: name the member this "+string(p.Role)+" key acts for")
	}
	return from, nil
}

func giveKudos(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.GiveRequest) (int, any, error) {
	from, err := actingMember(p, b.From)
	if err != nil {
		return 0, nil, err
	}
	points := 1
	if b.Points != nil {
		points = *b.Points
	}
	if b.Visibility == "" {
		b.Visibility = event.Public
	}
	// Where a kudos came from and what caused it feed density's direction
	// mix (a cause that is a rating makes a customer moment): a person's
	// key gives through the channel its transport implies, with no cause.
	if p.Role.Personal() && b.Channel != "" {
		return 0, nil, forbidden("channel", "only integrations and admins name the channel; a "+string(p.Role)+" key gives through "+c.Channel)
	}
	if p.Role.Personal() && b.Cause != nil {
		return 0, nil, forbidden("cause", "only integrations and admins name what caused a kudos")
	}
	if b.Channel == "" {
		b.Channel = c.Channel
	}
	if b.Cause != nil && (b.Cause.EventID == "" || b.Cause.Type == "") {
		return 0, nil, invalidField("cause", "needs event_id and type")
	}
	return written(g.cmd.GiveKudos(ctx, command.GiveKudos{
		Tenant: p.Tenant, From: from, To: b.To, Message: b.Message, Values: b.Values, Points: points,
		Visibility: b.Visibility, Channel: b.Channel, Cause: b.Cause, IDSeed: c.IdempotencyKey,
	}))
}

func react(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.ReactRequest) (int, any, error) {
	member, err := actingMember(p, b.From)
	if err != nil {
		return 0, nil, err
	}
	return written(g.cmd.React(ctx, command.React{
		Tenant: p.Tenant, KudosID: c.ID, Member: member, Emoji: b.Emoji, IDSeed: c.IdempotencyKey,
	}))
}

func retract(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.RetractRequest) (int, any, error) {
	cmd := command.RetractKudos{Tenant: p.Tenant, KudosID: c.ID, Reason: b.Reason, IDSeed: c.IdempotencyKey}
	if p.Role == auth.Admin && b.From == "" {
		cmd.ByRole, cmd.By = event.ByAdmin, p.KeyID
		if p.Member != "" {
			cmd.By = p.Member
		}
	} else {
		by, err := actingMember(p, b.From)
		if err != nil {
			return 0, nil, err
		}
		cmd.ByRole, cmd.By = event.ByGiver, by
	}
	return written(g.cmd.RetractKudos(ctx, cmd))
}

func recordRating(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.RatingRequest) (int, any, error) {
	d, err := ratingOf(b)
	if err != nil {
		return 0, nil, err
	}
	return written(g.cmd.RecordRating(ctx, command.RecordRating{Tenant: p.Tenant, RatingReceived: d}))
}

// ratingOf is the rating a request records.
func ratingOf(b apiv1.RatingRequest) (event.RatingReceived, error) {
	if b.Score == nil {
		return event.RatingReceived{}, invalidField("score", "is required")
	}
	var at time.Time
	if b.OccurredAt != "" {
		t, err := occurredAt(b.OccurredAt)
		if err != nil {
			return event.RatingReceived{}, err
		}
		at = t
	}
	return event.RatingReceived{
		Platform: b.Platform, InteractionID: b.InteractionID, Agent: b.Agent, Score: *b.Score, Scale: b.Scale,
		Comment: strings.TrimSpace(b.Comment), Channel: b.Channel, HandleTimeSeconds: b.HandleTimeSeconds, OccurredAt: at,
	}, nil
}

// occurredAt reads a rating's occurred_at.
func occurredAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidField("occurred_at", "must be an RFC 3339 time such as 2026-11-22T10:15:00Z")
	}
	return t, nil
}

func upsertMember(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.MemberRequest) (int, any, error) {
	return written(g.cmd.UpsertMember(ctx, command.UpsertMember{Tenant: p.Tenant, IDSeed: c.IdempotencyKey,
		MemberUpserted: memberState(c.ID, b)}))
}

// memberState is the state a member request gives member id.
func memberState(id string, b apiv1.MemberRequest) event.MemberUpserted {
	return event.MemberUpserted{Member: id, Name: b.Name, Team: b.Team, Manager: b.Manager, TimeZone: b.TimeZone,
		Active: b.Active == nil || *b.Active, Email: b.Email, SlackUserID: b.SlackUserID, TeamsUserID: b.TeamsUserID}
}

func removeMember(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.RemovalRequest) (int, any, error) {
	return written(g.cmd.RemoveMember(ctx, command.RemoveMember{Tenant: p.Tenant, Member: c.ID, Reason: b.Reason, IDSeed: c.IdempotencyKey}))
}

func setPolicy(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.PolicyRequest) (int, any, error) {
	pol := event.DefaultPolicy()
	if a := b.Allowance; a != nil {
		if a.Amount == nil {
			return 0, nil, invalidField("allowance.amount", "is required")
		}
		pol.Allowance.Amount = *a.Amount
		if a.Period != "" {
			pol.Allowance.Period = a.Period
		}
	}
	if b.Values != nil {
		pol.Values = b.Values
	}
	if r := b.MessageRules; r != nil {
		if r.MinLength != nil {
			pol.MessageRules.MinLength = *r.MinLength
		}
		if r.RejectGeneric != nil {
			pol.MessageRules.RejectGeneric = *r.RejectGeneric
		}
	}
	if len(b.Rules) > 0 {
		if err := decodeIn("rules", b.Rules, &pol.Rules); err != nil {
			return 0, nil, err
		}
	}
	if len(b.Nudges) > 0 {
		if err := decodeIn("nudges", b.Nudges, &pol.Nudges); err != nil {
			return 0, nil, err
		}
	}
	return written(g.cmd.SetPolicy(ctx, command.SetPolicy{Tenant: p.Tenant, PolicySet: pol, IDSeed: c.IdempotencyKey}))
}

func boost(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.BoostRequest) (int, any, error) {
	by := p.KeyID
	if p.Member != "" {
		by = p.Member
	}
	return written(g.cmd.BoostAllowance(ctx, command.BoostAllowance{Tenant: p.Tenant, IDSeed: c.IdempotencyKey,
		AllowanceBoosted: event.AllowanceBoosted{Member: b.Member, Team: b.Team, Points: b.Points, From: b.From, To: b.To, Reason: b.Reason, By: by}}))
}

// createdKey answers POST /v1/keys; the key is shown only in it.
type createdKey struct{ apiv1.CreatedKey }

// WithoutSecret is the answer kept for an Idempotency-Key: a secret is
// never stored, so a retry learns the key was made, not the key.
func (k createdKey) WithoutSecret() any {
	k.Key = ""
	k.Note = "the key was shown once, in the first answer; revoke it and create another if it was lost"
	return k
}

func createKey(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.KeyRequest) (int, any, error) {
	role := auth.Role(b.Role)
	if !role.Valid() {
		return 0, nil, invalidField("role", "must be one of admin, integration, member, manager, analyst, publisher")
	}
	if b.Member != "" {
		if m, ok := g.cmd.Directory().Member(p.Tenant, b.Member); !ok || !m.Active {
			return 0, nil, invalidField("member", "no active member "+b.Member+" in this tenant")
		}
	} else if role.Personal() {
		return 0, nil, invalidField("member", "is required for a "+b.Role+" key")
	}
	np := auth.Principal{Tenant: p.Tenant, Role: role, Member: b.Member}
	if b.ExpiresAt != "" {
		at, err := time.Parse(time.RFC3339, b.ExpiresAt)
		if err != nil {
			return 0, nil, invalidField("expires_at", "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z")
		}
		if !at.After(time.Now()) {
			return 0, nil, invalidField("expires_at", "must be in the future")
		}
		at = at.UTC()
		np.ExpiresAt = &at
	}
	secret, np, err := g.keys.Create(ctx, np, "")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, createdKey{apiv1.CreatedKey{Key: secret, ID: np.KeyID, Tenant: np.Tenant, Role: string(np.Role),
		Member: np.Member, ExpiresAt: np.ExpiresAt}}, nil
}

// apiKey is p as keys are listed and revoked.
func apiKey(p auth.Principal) apiv1.APIKey {
	return apiv1.APIKey{KeyID: p.KeyID, Tenant: p.Tenant, Role: string(p.Role), Member: p.Member, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, Session: p.Session}
}

func listKeys(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	list, err := g.keys.List(ctx, p.Tenant)
	if err != nil {
		return 0, nil, err
	}
	keys := make([]apiv1.APIKey, 0, len(list))
	for _, k := range list {
		keys = append(keys, apiKey(k))
	}
	return http.StatusOK, apiv1.KeyList{Keys: keys}, nil
}

func revokeKey(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	if c.ID == p.KeyID {
		return 0, nil, invalidField("id", "a key cannot revoke itself; use another admin key")
	}
	k, err := g.keys.Revoke(ctx, p.Tenant, c.ID)
	if errors.Is(err, auth.ErrNotFound) {
		return 0, nil, notFound("id", "no key "+c.ID+" in this tenant")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, apiKey(k), nil
}

// importMembers upserts many members in one atomic batch: a directory sync.
func importMembers(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.ImportRequest) (int, any, error) {
	cmd := command.ImportMembers{Tenant: p.Tenant, IDSeed: c.IdempotencyKey}
	for _, m := range b.Members {
		cmd.Members = append(cmd.Members, memberState(m.ID, m.MemberRequest))
	}
	res, err := g.cmd.ImportMembers(ctx, cmd)
	if err != nil {
		return 0, nil, err
	}
	if len(res.Events) == 0 {
		return http.StatusOK, apiv1.Written{Events: []apiv1.WrittenEvent{}, Replayed: true}, nil
	}
	return written(res, nil)
}
