package webhook

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/seal"
)

// Bucket is the key-value bucket of webhook subscriptions, by tenant and
// id; their secrets are kept sealed (package seal).
const Bucket = "plaudit_webhooks"

// ErrNotFound is returned when a tenant has no subscription of that id.
var ErrNotFound = errors.New("webhook: no such subscription")

// Subscription is a tenant's webhook endpoint: where its events go, which
// types, and whether it still receives them.
type Subscription struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	// URL is where deliveries go; it may carry a token, so it is stored
	// sealed (SealedURL) and shown as Endpoint: its scheme and host only,
	// since many endpoints carry their token in the path.
	URL       string `json:"-"`
	SealedURL []byte `json:"sealed_url"`
	// Types are the event types delivered, every type the tenant's
	// integration role may see when empty.
	Types     []string  `json:"types,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DisabledAt is when deliveries stopped (the endpoint answered 410
	// Gone), and DisabledReason why; nil while it receives.
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	// secrets sign its deliveries, newest first, sealed.
	Secrets []sealed `json:"secrets"`
}

// sealed is a secret as stored: sealed, and until when it still signs
// (nil: until the next rotation).
type sealed struct {
	Sealed  []byte     `json:"sealed"`
	Expires *time.Time `json:"expires,omitempty"`
}

// Wants reports whether the subscription receives events of type typ.
func (s Subscription) Wants(typ string) bool {
	return s.DisabledAt == nil && (len(s.Types) == 0 || slices.Contains(s.Types, typ))
}

// Registry keeps the subscriptions in a bucket several engines may share;
// it is safe for concurrent use.
type Registry struct {
	kv     jetstream.KeyValue
	sealer *seal.Sealer
	policy Policy
	now    func() time.Time
}

// OpenRegistry creates or binds the subscriptions bucket on js, with
// replicas replicas; sealer seals their secrets and policy decides which
// URLs they may name.
func OpenRegistry(ctx context.Context, js jetstream.JetStream, replicas int, sealer *seal.Sealer, policy Policy) (*Registry, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit webhook subscriptions, by tenant and id (secrets sealed)",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return &Registry{kv: kv, sealer: sealer, policy: policy, now: time.Now}, nil
}

func key(tenant, id string) string { return "sub." + tenant + "." + id }

// Create subscribes url to the tenant's events of types (all it may see
// when empty) and returns the subscription with its secret, which is
// shown to the subscriber only now.
func (r *Registry) Create(ctx context.Context, tenant, rawURL string, types []string) (Subscription, Secret, error) {
	if err := r.policy.CheckURL(rawURL); err != nil {
		return Subscription{}, nil, err
	}
	secret, err := NewSecret()
	if err != nil {
		return Subscription{}, nil, err
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	s := Subscription{
		ID: "wh_" + hex.EncodeToString(id), Tenant: tenant, URL: rawURL, Types: types,
		CreatedAt: r.now().UTC(),
	}
	s.SealedURL = r.sealer.Seal([]byte(rawURL), s.holder("url"))
	s.Secrets = []sealed{{Sealed: r.sealer.Seal(secret, s.holder("secret"))}}
	b, err := json.Marshal(s)
	if err != nil {
		return Subscription{}, nil, err
	}
	if _, err := r.kv.Create(ctx, key(tenant, s.ID), b); err != nil {
		return Subscription{}, nil, fmt.Errorf("webhook: record %s: %w", s.ID, err)
	}
	return s, secret, nil
}

// Get returns the tenant's subscription id.
func (r *Registry) Get(ctx context.Context, tenant, id string) (Subscription, error) {
	s, _, err := r.get(ctx, tenant, id)
	return s, err
}

func (r *Registry) get(ctx context.Context, tenant, id string) (Subscription, uint64, error) {
	e, err := r.kv.Get(ctx, key(tenant, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return Subscription{}, 0, ErrNotFound
	}
	if err != nil {
		return Subscription{}, 0, fmt.Errorf("webhook: get %s: %w", id, err)
	}
	var s Subscription
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return Subscription{}, 0, fmt.Errorf("webhook: stored %s: %w", id, err)
	}
	if err := r.openURL(&s); err != nil {
		return Subscription{}, 0, err
	}
	return s, e.Revision(), nil
}

// List returns the tenant's subscriptions, oldest first; every tenant's
// when tenant is "".
func (r *Registry) List(ctx context.Context, tenant string) ([]Subscription, error) {
	filter := "sub.>"
	if tenant != "" {
		filter = "sub." + tenant + ".*"
	}
	out, err := bucket.Values(ctx, r.kv, func(a, b Subscription) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	}, filter)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	for i := range out {
		if err := r.openURL(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete removes the tenant's subscription id.
func (r *Registry) Delete(ctx context.Context, tenant, id string) error {
	if _, _, err := r.get(ctx, tenant, id); err != nil {
		return err
	}
	if err := r.kv.Delete(ctx, key(tenant, id)); err != nil {
		return fmt.Errorf("webhook: delete %s: %w", id, err)
	}
	return nil
}

// Rotate gives the subscription a new secret, which signs from now on,
// and keeps the ones before signing beside it for overlap (0: not at all),
// so that a receiver has time to take the new one. It returns the new
// secret, shown only now.
func (r *Registry) Rotate(ctx context.Context, tenant, id string, overlap time.Duration) (Secret, error) {
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	err = r.update(ctx, tenant, id, func(s *Subscription, now time.Time) {
		until := now.Add(overlap)
		kept := []sealed{{Sealed: r.sealer.Seal(secret, s.holder("secret"))}}
		for _, old := range s.Secrets {
			if old.Expires == nil || old.Expires.After(until) {
				old.Expires = &until
			}
			if old.Expires.After(now) {
				kept = append(kept, old)
			}
		}
		s.Secrets = kept
	})
	if err != nil {
		return nil, err
	}
	return secret, nil
}

// Disable stops deliveries to the subscription, saying why.
func (r *Registry) Disable(ctx context.Context, tenant, id, reason string) error {
	return r.update(ctx, tenant, id, func(s *Subscription, now time.Time) {
		if s.DisabledAt == nil {
			s.DisabledAt, s.DisabledReason = &now, reason
		}
	})
}

// update changes the subscription with change, retrying when another
// engine changed it meanwhile.
func (r *Registry) update(ctx context.Context, tenant, id string, change func(*Subscription, time.Time)) error {
	for {
		s, rev, err := r.get(ctx, tenant, id)
		if err != nil {
			return err
		}
		change(&s, r.now().UTC().Truncate(time.Second))
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = r.kv.Update(ctx, key(tenant, id), b, rev)
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return fmt.Errorf("webhook: update %s: %w", id, err)
		}
		return nil
	}
}

// Secrets are the secrets that sign the subscription's deliveries now,
// newest first, opened.
func (r *Registry) Secrets(s Subscription) ([]Secret, error) {
	now := r.now()
	var out []Secret
	for _, sl := range s.Secrets {
		if sl.Expires != nil && !sl.Expires.After(now) {
			continue
		}
		secret, err := r.sealer.Open(sl.Sealed, s.holder("secret"))
		if err != nil {
			return nil, fmt.Errorf("webhook: subscription %s: %w", s.ID, err)
		}
		out = append(out, secret)
	}
	return out, nil
}

// openURL opens s's sealed URL.
func (r *Registry) openURL(s *Subscription) error {
	u, err := r.sealer.Open(s.SealedURL, s.holder("url"))
	if err != nil {
		return fmt.Errorf("webhook: subscription %s: %w", s.ID, err)
	}
	s.URL = string(u)
	return nil
}

// endpoint is how a subscription's URL is shown and named in errors: its
// scheme and host, since the path and query may carry a token.
func endpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}

// Endpoint is how the subscription's URL is shown: scheme and host.
func (s Subscription) Endpoint() string { return endpoint(s.URL) }

// holder binds a sealed field to its tenant, subscription and field: a
// sealed value copied to another does not open.
func (s Subscription) holder(field string) string { return s.Tenant + "/" + s.ID + "/" + field }
