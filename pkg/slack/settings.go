package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/seal"
)

// Bucket is the key-value bucket of the tenants' Slack settings, one key
// per tenant; the signing secret and the bot token are kept sealed.
const Bucket = "plaudit_slack"

// DefaultReaction is the emoji whose reaction gives a point, HeyTaco's.
const DefaultReaction = "taco"

// ErrNotConfigured is returned when a tenant has no Slack settings; it is
// the admin API's api.ErrNotConfigured, which answers 404.
var ErrNotConfigured = fmt.Errorf("slack: %w", api.ErrNotConfigured)

// stored is a tenant's settings as kept in the bucket.
type stored struct {
	SigningSecret  []byte            `json:"signing_secret"` // sealed
	BotToken       []byte            `json:"bot_token"`      // sealed
	TokenHint      string            `json:"bot_token_hint"` // its last 4 characters
	Reaction       string            `json:"reaction"`
	Channels       map[string]string `json:"channels,omitempty"` // team -> channel id
	DefaultChannel string            `json:"default_channel,omitempty"`
	TeamID         string            `json:"team_id,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// settings are a tenant's settings in use: the secrets opened.
type settings struct {
	tenant         string
	signingSecret  []byte
	botToken       string
	reaction       string
	channels       map[string]string
	defaultChannel string
	teamID         string
	createdAt      time.Time
}

// Request is the body of the admin API's PUT of a tenant's Slack
// settings. The secrets and the workspace may be left out of a PUT that
// changes the rest: the ones stored stay. The workspace (TeamID) is
// required: the signing secret is the app's, and the app may be
// installed in other workspaces, whose requests it signs alike.
type Request struct {
	SigningSecret  string            `json:"signing_secret"`
	BotToken       string            `json:"bot_token"`
	Reaction       string            `json:"reaction"`
	Channels       map[string]string `json:"channels"`
	DefaultChannel string            `json:"default_channel"`
	TeamID         string            `json:"team_id"`
}

// View is what the admin API shows of a tenant's settings: never the
// secrets, only whether the signing secret is set and the bot token's
// last four characters.
type View struct {
	Tenant           string            `json:"tenant"`
	SigningSecretSet bool              `json:"signing_secret_set"`
	BotToken         string            `json:"bot_token"` // "…" and the last 4 characters
	Reaction         string            `json:"reaction"`
	Channels         map[string]string `json:"channels"`
	DefaultChannel   string            `json:"default_channel,omitempty"`
	TeamID           string            `json:"team_id,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	// URLs are the request URLs to enter in the Slack app's settings
	// (deploy/slack/manifest.yaml), as paths on the engine's address.
	URLs map[string]string `json:"request_urls"`
}

// holder binds a tenant's sealed secret of field to it and to that
// field (package seal): one copied into the other field, or into another
// tenant's settings, does not open.
func holder(tenant, field string) string { return chat.Holder(tenant, Name, field) }

// Slack's identifiers: channels (public, private, direct) and workspaces.
var (
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)
	teamID    = regexp.MustCompile(`^[TE][A-Z0-9]{2,20}$`)
	emojiName = regexp.MustCompile(`^[a-z0-9_+'-]{1,64}$`)
)

func invalid(field, reason string) error {
	return &command.ValidationError{Field: field, Reason: reason}
}

// decodeRequest reads a PUT body strictly: an unknown field is named.
func decodeRequest(body []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f := strings.Trim(name, `"`)
			return r, invalid(f, "is not a Slack setting")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return r, invalid(te.Field, "must be a "+te.Type.String())
		}
		return r, invalid("body", "must be a JSON object of Slack settings")
	}
	if dec.More() {
		return r, invalid("body", "must be one JSON object")
	}
	return r, nil
}

// validate checks r, as a first configuration (create) or a change of
// one (of cur), and normalises it.
func (r *Request) validate(create bool, cur stored) error {
	r.SigningSecret, r.BotToken = strings.TrimSpace(r.SigningSecret), strings.TrimSpace(r.BotToken)
	switch {
	case create && r.SigningSecret == "":
		return invalid("signing_secret", "is required: the app's signing secret, from its Basic Information page")
	case r.SigningSecret != "" && (len(r.SigningSecret) < 16 || len(r.SigningSecret) > 256 || strings.ContainsAny(r.SigningSecret, " \t\r\n")):
		return invalid("signing_secret", "must be the app's signing secret as Slack shows it (16 to 256 characters, no spaces)")
	case create && r.BotToken == "":
		return invalid("bot_token", "is required: the app's bot user OAuth token, xoxb-…")
	case r.BotToken != "" && (!strings.HasPrefix(r.BotToken, "xoxb-") || len(r.BotToken) < 10 || len(r.BotToken) > 512 || strings.ContainsAny(r.BotToken, " \t\r\n")):
		return invalid("bot_token", "must be a bot user OAuth token, starting xoxb-")
	}
	r.Reaction = strings.Trim(strings.TrimSpace(r.Reaction), ":")
	if r.Reaction == "" {
		r.Reaction = DefaultReaction
	}
	if !emojiName.MatchString(r.Reaction) {
		return invalid("reaction", "must be an emoji's name as Slack writes it, such as taco or +1")
	}
	for team, ch := range r.Channels {
		if !event.ValidID(team) {
			return invalid("channels", fmt.Sprintf("%q is not a team id", team))
		}
		if !channelID.MatchString(ch) {
			return invalid("channels."+team, fmt.Sprintf("%q is not a Slack channel id (such as C024BE91L)", ch))
		}
	}
	if r.DefaultChannel != "" && !channelID.MatchString(r.DefaultChannel) {
		return invalid("default_channel", fmt.Sprintf("%q is not a Slack channel id (such as C024BE91L)", r.DefaultChannel))
	}
	r.TeamID = strings.TrimSpace(r.TeamID)
	if r.TeamID == "" {
		r.TeamID = cur.TeamID
	}
	switch {
	case r.TeamID == "":
		// Without it, any workspace whose requests the signing secret
		// signs would be taken; the secret is the app's, not the
		// workspace's.
		return invalid("team_id", "is required: the id of the tenant's Slack workspace (T…), from the workspace's About page or the team_id of any request Slack sends")
	case !teamID.MatchString(r.TeamID):
		return invalid("team_id", fmt.Sprintf("%q is not a Slack workspace id (such as T024BE7LD)", r.TeamID))
	}
	return nil
}

// Settings keeps the tenants' Slack settings in a bucket several engines
// may share; it is safe for concurrent use.
type Settings struct {
	store  chat.Store[stored]
	sealer *seal.Sealer
}

// OpenSettings creates or binds the settings bucket on js, with replicas
// replicas; sealer seals the secrets.
func OpenSettings(ctx context.Context, js jetstream.JetStream, replicas int, sealer *seal.Sealer) (*Settings, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit's Slack settings, by tenant (secrets sealed)",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	return &Settings{store: chat.Store[stored]{KV: kv, NotConfigured: ErrNotConfigured, Name: Name}, sealer: sealer}, nil
}

// Configure sets the tenant's Slack settings from a PUT body (Request)
// and returns their View. A first configuration needs both secrets and
// the workspace (team_id); a change keeps the secrets and the workspace
// it leaves out, and the time the settings were created, from which the
// relays deliver.
func (s *Settings) Configure(ctx context.Context, tenant string, body []byte) (any, error) {
	r, err := decodeRequest(body)
	if err != nil {
		return nil, err
	}
	for {
		cur, rev, err := s.store.Get(ctx, tenant)
		create := errors.Is(err, ErrNotConfigured)
		if err != nil && !create {
			return nil, err
		}
		if err := r.validate(create, cur); err != nil {
			return nil, err
		}
		// The wall clock, not the command service's (a test's may be
		// fake), and not truncated: the relays start here, and
		// JetStream compares a consumer's start with its own clock.
		now := time.Now().UTC()
		next := stored{
			SigningSecret: cur.SigningSecret, BotToken: cur.BotToken, TokenHint: cur.TokenHint,
			Reaction: r.Reaction, Channels: maps.Clone(r.Channels), DefaultChannel: r.DefaultChannel, TeamID: r.TeamID,
			CreatedAt: cur.CreatedAt, UpdatedAt: now,
		}
		if create {
			next.CreatedAt = now
		}
		if r.SigningSecret != "" {
			next.SigningSecret = s.sealer.Seal([]byte(r.SigningSecret), holder(tenant, "signing_secret"))
		}
		if r.BotToken != "" {
			next.BotToken = s.sealer.Seal([]byte(r.BotToken), holder(tenant, "bot_token"))
			next.TokenHint = r.BotToken[len(r.BotToken)-4:]
		}
		err = s.store.Put(ctx, tenant, next, rev)
		if errors.Is(err, chat.ErrRaced) {
			continue // configured meanwhile: decide again on what is there
		}
		if err != nil {
			return nil, err
		}
		return view(tenant, next), nil
	}
}

// Settings returns the View of the tenant's settings, or ErrNotConfigured.
func (s *Settings) Settings(ctx context.Context, tenant string) (any, error) {
	st, _, err := s.store.Get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return view(tenant, st), nil
}

// Remove forgets the tenant's settings: Slack's requests for it are
// refused from then on, and the engines running its relays stop them and
// delete their consumers. ErrNotConfigured when there were none.
func (s *Settings) Remove(ctx context.Context, tenant string) error {
	return s.store.Remove(ctx, tenant)
}

// open returns the tenant's settings in use, their secrets opened.
func (s *Settings) open(ctx context.Context, tenant string) (settings, error) {
	st, _, err := s.store.Get(ctx, tenant)
	if err != nil {
		return settings{}, err
	}
	return s.opened(tenant, st)
}

func (s *Settings) opened(tenant string, st stored) (settings, error) {
	secret, err := s.sealer.Open(st.SigningSecret, holder(tenant, "signing_secret"))
	if err != nil {
		return settings{}, fmt.Errorf("slack: signing secret of %s: %w", tenant, err)
	}
	token, err := s.sealer.Open(st.BotToken, holder(tenant, "bot_token"))
	if err != nil {
		return settings{}, fmt.Errorf("slack: bot token of %s: %w", tenant, err)
	}
	return settings{
		tenant: tenant, signingSecret: secret, botToken: string(token), reaction: st.Reaction,
		channels: st.Channels, defaultChannel: st.DefaultChannel, teamID: st.TeamID, createdAt: st.CreatedAt,
	}, nil
}

func view(tenant string, st stored) View {
	v := View{
		Tenant: tenant, SigningSecretSet: len(st.SigningSecret) > 0, Reaction: st.Reaction,
		Channels: st.Channels, DefaultChannel: st.DefaultChannel, TeamID: st.TeamID,
		CreatedAt: st.CreatedAt, UpdatedAt: st.UpdatedAt, URLs: map[string]string{},
	}
	if v.Channels == nil {
		v.Channels = map[string]string{}
	}
	if st.TokenHint != "" {
		v.BotToken = "…" + st.TokenHint
	}
	for _, r := range []string{"commands", "events", "interactivity"} {
		v.URLs[r] = RoutePrefix + tenant + "/" + r
	}
	return v
}
