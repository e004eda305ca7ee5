package teams

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// Bucket is the key-value bucket of the tenants' Teams settings, one key
// per tenant. The security token and the workflow URLs are kept sealed:
// a workflow URL carries its own signature (sig=…), so whoever holds it
// can post to the channel.
const Bucket = "plaudit_teams"

// ErrNotConfigured is returned when a tenant has no Teams settings; it is
// the admin API's api.ErrNotConfigured, which answers 404.
var ErrNotConfigured = fmt.Errorf("teams: %w", api.ErrNotConfigured)

// MinTokenBytes is the shortest security token taken, decoded: Teams'
// are 32 random bytes; a short one is a paste gone wrong.
const MinTokenBytes = 16

// maxURL bounds a workflow URL (Power Automate's run to about 400
// characters).
const maxURL = 2048

// record is a tenant's settings as stored. Each secret is sealed for its
// own holder (tenant/teams/field), so that one copied into another field,
// or another tenant's record, does not open.
type record struct {
	Tenant string `json:"tenant"`
	Token  []byte `json:"security_token"`
	// KudosURL and NudgesURL are sealed; KudosSince and NudgesSince are
	// when each was set (from none), which is where its relay starts.
	KudosURL    []byte    `json:"kudos_url,omitempty"`
	KudosSince  time.Time `json:"kudos_since,omitzero"`
	NudgesURL   []byte    `json:"nudges_url,omitempty"`
	NudgesSince time.Time `json:"nudges_since,omitzero"`
	// KudosHalted and NudgesHalted say why deliveries stopped (the
	// workflow answered 410 Gone); setting the URL again resumes them.
	KudosHalted  string    `json:"kudos_halted,omitempty"`
	NudgesHalted string    `json:"nudges_halted,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func holder(tenant, field string) string { return chat.Holder(tenant, Name, field) }

// settings are a tenant's settings, opened.
type settings struct {
	tenant string
	// key is the HMAC key: the security token, base64-decoded.
	key                     []byte
	kudosURL, nudgesURL     string
	kudosSince, nudgesSince time.Time
	kudosHalted             string
	nudgesHalted            string
	createdAt, updatedAt    time.Time
}

// View is a tenant's Teams settings as the admin API shows them: no
// secret, and the workflow URLs cut to their scheme and host.
type View struct {
	Integration string `json:"integration"`
	Tenant      string `json:"tenant"`
	// MessagesPath is where the team's outgoing webhook posts, on the
	// engine's public address.
	MessagesPath     string `json:"messages_path"`
	SecurityTokenSet bool   `json:"security_token_set"`
	KudosURL         string `json:"kudos_url,omitempty"`
	NudgesURL        string `json:"nudges_url,omitempty"`
	// KudosHalted and NudgesHalted say why deliveries stopped; PUT the
	// URL again to resume.
	KudosHalted  string    `json:"kudos_halted,omitempty"`
	NudgesHalted string    `json:"nudges_halted,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MessagesPath is the path of a tenant's outgoing-webhook endpoint.
func MessagesPath(tenant string) string { return "/v1/integrations/teams/" + tenant + "/messages" }

// configureBody is the body of PUT /v1/integrations/teams. A field left
// out keeps what is stored; an empty URL removes it.
type configureBody struct {
	SecurityToken *string `json:"security_token"`
	KudosURL      *string `json:"kudos_url"`
	NudgesURL     *string `json:"nudges_url"`
}

func invalid(field, format string, args ...any) error {
	return &command.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// decodeConfigure reads a configure body, refusing unknown fields and
// values of the wrong type by name.
func decodeConfigure(body []byte) (configureBody, error) {
	var b configureBody
	if len(bytes.TrimSpace(body)) == 0 {
		return b, invalid("body", "send the settings as a JSON object: security_token, kudos_url, nudges_url")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&b)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return b, nil
	case errors.As(err, &te) && te.Field != "":
		return b, invalid(te.Field, "must be a string")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return b, invalid(name, "is not a Teams setting (security_token, kudos_url, nudges_url)")
	}
	return b, invalid("body", "is not a JSON object: %v", err)
}

// decodeToken reads a security token as Teams shows it, base64.
func decodeToken(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, invalid("security_token", "is not base64, as Teams shows it when the outgoing webhook is created")
	}
	if len(k) < MinTokenBytes {
		return nil, invalid("security_token", "is %d bytes decoded; a Teams security token is longer", len(k))
	}
	return k, nil
}

// checkURL checks a workflow URL for field against the destination
// policy.
func (t *Teams) checkURL(field, raw string) error {
	if len(raw) > maxURL {
		return invalid(field, "is longer than %d characters", maxURL)
	}
	if err := t.policy.CheckURL(raw); err != nil {
		return invalid(field, "%v", err)
	}
	return nil
}

// Configure sets the tenant's Teams settings from body (configureBody)
// and returns them as View. The first settings need a security_token.
// Setting a URL that was not set starts its deliveries from now; setting
// one again resumes deliveries a 410 Gone stopped.
func (t *Teams) Configure(ctx context.Context, tenant string, body []byte) (any, error) {
	if !event.ValidID(tenant) {
		return nil, invalid("tenant", "%q is not a tenant id", tenant)
	}
	b, err := decodeConfigure(body)
	if err != nil {
		return nil, err
	}
	var token []byte
	if b.SecurityToken != nil {
		if token, err = decodeToken(*b.SecurityToken); err != nil {
			return nil, err
		}
	}
	for _, u := range []struct {
		field string
		v     *string
	}{{"kudos_url", b.KudosURL}, {"nudges_url", b.NudgesURL}} {
		if u.v != nil && *u.v != "" {
			if err := t.checkURL(u.field, *u.v); err != nil {
				return nil, err
			}
		}
	}
	for {
		r, rev, err := t.store.Get(ctx, tenant)
		if err != nil && !errors.Is(err, ErrNotConfigured) {
			return nil, err
		}
		// A URL's relay starts at now to the instant (JetStream's clock,
		// the wall clock): what was given a moment before it was set is
		// not its to post.
		now := time.Now().UTC()
		if rev == 0 {
			if token == nil {
				return nil, invalid("security_token", "is required: paste the one Teams shows when the outgoing webhook is created")
			}
			r = record{Tenant: tenant, CreatedAt: now.Truncate(time.Second)}
		}
		r.UpdatedAt = now.Truncate(time.Second)
		if token != nil {
			r.Token = t.sealer.Seal(token, holder(tenant, "security_token"))
		}
		setURL := func(field string, v *string, sealed *[]byte, since *time.Time, halted *string) {
			switch {
			case v == nil:
				return
			case *v == "":
				*sealed, *since = nil, time.Time{}
			default:
				if *sealed == nil {
					// A relay that starts afresh: the supervisor makes
					// its consumer anew, from since.
					*since = now
				}
				*sealed = t.sealer.Seal([]byte(*v), holder(tenant, field))
			}
			*halted = ""
		}
		setURL("kudos_url", b.KudosURL, &r.KudosURL, &r.KudosSince, &r.KudosHalted)
		setURL("nudges_url", b.NudgesURL, &r.NudgesURL, &r.NudgesSince, &r.NudgesHalted)
		if err := t.store.Put(ctx, tenant, r, rev); errors.Is(err, chat.ErrRaced) {
			continue
		} else if err != nil {
			return nil, err
		}
		t.sup.Poke()
		s, err := t.open(r)
		if err != nil {
			return nil, err
		}
		return s.view(), nil
	}
}

// Settings returns the tenant's settings as View, or ErrNotConfigured.
func (t *Teams) Settings(ctx context.Context, tenant string) (any, error) {
	s, err := t.settings(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return s.view(), nil
}

// Remove deletes the tenant's settings, or says ErrNotConfigured. The
// engines running its deliveries stop them and delete their consumers;
// this one posts nothing more of the tenant's from now on.
func (t *Teams) Remove(ctx context.Context, tenant string) error {
	if err := t.store.Remove(ctx, tenant); err != nil {
		return err
	}
	t.mu.Lock()
	if cur := t.current[tenant]; cur != nil {
		cur.Store(nil)
		delete(t.current, tenant)
	}
	t.mu.Unlock()
	t.sup.Poke()
	return nil
}

// halt records that the tenant's deliveries of kind to url stopped, and
// why; not when the URL was changed meanwhile (the new one is posted to).
func (t *Teams) halt(ctx context.Context, tenant, kind, url, why string) error {
	for {
		r, rev, err := t.store.Get(ctx, tenant)
		if errors.Is(err, ErrNotConfigured) {
			return nil // removed meanwhile: nothing to stop
		}
		if err != nil {
			return err
		}
		s, err := t.open(r)
		if err != nil {
			return err
		}
		if kind == kindKudos && s.kudosURL == url {
			r.KudosHalted = why
		} else if kind == kindNudges && s.nudgesURL == url {
			r.NudgesHalted = why
		} else {
			return nil
		}
		if err := t.store.Put(ctx, tenant, r, rev); !errors.Is(err, chat.ErrRaced) {
			return err
		}
	}
}

// settings reads and opens the tenant's settings.
func (t *Teams) settings(ctx context.Context, tenant string) (settings, error) {
	r, _, err := t.store.Get(ctx, tenant)
	if err != nil {
		return settings{}, err
	}
	return t.open(r)
}

// open opens a record's secrets.
func (t *Teams) open(r record) (settings, error) {
	s := settings{
		tenant: r.Tenant, kudosSince: r.KudosSince, nudgesSince: r.NudgesSince,
		kudosHalted: r.KudosHalted, nudgesHalted: r.NudgesHalted, createdAt: r.CreatedAt, updatedAt: r.UpdatedAt,
	}
	var err error
	if s.key, err = t.sealer.Open(r.Token, holder(r.Tenant, "security_token")); err != nil {
		return settings{}, fmt.Errorf("teams: security token of %s: %w", r.Tenant, err)
	}
	for _, u := range []struct {
		field  string
		sealed []byte
		to     *string
	}{{"kudos_url", r.KudosURL, &s.kudosURL}, {"nudges_url", r.NudgesURL, &s.nudgesURL}} {
		if u.sealed == nil {
			continue
		}
		b, err := t.sealer.Open(u.sealed, holder(r.Tenant, u.field))
		if err != nil {
			return settings{}, fmt.Errorf("teams: %s of %s: %w", u.field, r.Tenant, err)
		}
		*u.to = string(b)
	}
	return s, nil
}

// view is what the admin API shows of s.
func (s settings) view() View {
	return View{
		Integration: Name, Tenant: s.tenant, MessagesPath: MessagesPath(s.tenant), SecurityTokenSet: len(s.key) > 0,
		KudosURL: redact(s.kudosURL), NudgesURL: redact(s.nudgesURL),
		KudosHalted: s.kudosHalted, NudgesHalted: s.nudgesHalted, CreatedAt: s.createdAt, UpdatedAt: s.updatedAt,
	}
}

// redact cuts a URL to its scheme and host: the rest of a workflow URL
// (its sig= parameter) is what lets anyone post.
func redact(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Scheme + "://" + u.Host
}
