// Package session signs people in to Plaudit's web page: one-time sign-in
// links, asked for by an admin or integration key (POST /v1/sessions,
// plaudit login-link), and the sessions they open.
//
// A link's token is shown once, in the answer that made it; the bucket
// keeps only its SHA-256, with whom it signs in and until when. A link
// works once: redeeming it deletes its record under the record's own
// revision, so of two redemptions racing, one wins. The session a link
// opens is an API key of the member's (package auth) with an expiry and
// Session set: its secret lives only in the browser's HttpOnly cookie,
// and everything the page does goes through the API's own authorisation
// and visibility rules with it. Revoking the key (DELETE /v1/keys/{id},
// or signing out) ends the session.
//
// It decides nothing about who may ask for a link for whom: the API does.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/bucket"
)

// Bucket holds the sign-in links not yet used, by digest of their token.
const Bucket = "plaudit_signin"

// Defaults and bounds.
const (
	// LinkTTL is how long a link works when its asker does not say.
	LinkTTL = 15 * time.Minute
	// MaxLinkTTL is the longest a link may work; the bucket drops
	// records older than this, used or not.
	MaxLinkTTL = time.Hour
	// TTL is how long a session lasts from sign-in.
	TTL = 12 * time.Hour
)

// ErrInvalidLink is returned for a token that is not a link's, or whose
// link was used or has expired: the three are not told apart.
var ErrInvalidLink = errors.New("session: the sign-in link is unknown, used or expired")

// Link is who a sign-in link signs in, and until when it works.
type Link struct {
	Tenant    string    `json:"tenant"`
	Member    string    `json:"member"`
	Role      auth.Role `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
	// IssuedBy is the id of the key that asked for the link.
	IssuedBy string `json:"issued_by"`
}

// Sessions makes and redeems sign-in links. It is safe for concurrent use.
type Sessions struct {
	kv   jetstream.KeyValue
	keys *auth.Keys
	now  func() time.Time
}

// Open creates or binds the bucket of sign-in links. Sessions are stored as
// keys.
func Open(ctx context.Context, js jetstream.JetStream, keys *auth.Keys, replicas int, now func() time.Time) (*Sessions, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Plaudit one-time sign-in links, by SHA-256 of the token",
		TTL:         MaxLinkTTL,
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{kv: kv, keys: keys, now: now}, nil
}

// NewLink stores a link for l (ExpiresAt is set from ttl, at most
// MaxLinkTTL) and returns its token, shown nowhere else.
func (s *Sessions) NewLink(ctx context.Context, l Link, ttl time.Duration) (string, Link, error) {
	if ttl <= 0 {
		ttl = LinkTTL
	}
	ttl = min(ttl, MaxLinkTTL)
	l.ExpiresAt = s.now().Add(ttl).UTC().Truncate(time.Second)
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := "pls_" + base64.RawURLEncoding.EncodeToString(b)
	v, err := json.Marshal(l)
	if err != nil {
		return "", Link{}, err
	}
	if _, err := s.kv.Create(ctx, digest(token), v); err != nil {
		return "", Link{}, fmt.Errorf("session: store link: %w", err)
	}
	return token, l, nil
}

// Peek returns whom token's link signs in, without using it: the page
// that asks "sign in as …?" shows it. ErrInvalidLink when it would not
// work.
func (s *Sessions) Peek(ctx context.Context, token string) (Link, error) {
	l, _, err := s.get(ctx, token)
	return l, err
}

// Redeem uses token's link, once: it returns the session key's secret and
// the principal it acts as. The link is spent before the session is made,
// so a failure after that costs the person a new link, never a second
// session from one link. A caller still checks that the member may sign
// in (still active) before it gives them the secret.
func (s *Sessions) Redeem(ctx context.Context, token string) (string, auth.Principal, error) {
	l, rev, err := s.get(ctx, token)
	if err != nil {
		return "", auth.Principal{}, err
	}
	if err := s.kv.Delete(ctx, digest(token), jetstream.LastRevision(rev)); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return "", auth.Principal{}, ErrInvalidLink // redeemed meanwhile
		}
		return "", auth.Principal{}, fmt.Errorf("session: spend link: %w", err)
	}
	expires := s.now().Add(TTL).UTC().Truncate(time.Second)
	secret, p, err := s.keys.Create(ctx, auth.Principal{
		Tenant: l.Tenant, Role: l.Role, Member: l.Member, ExpiresAt: &expires, Session: true,
	}, "")
	if err != nil {
		return "", auth.Principal{}, fmt.Errorf("session: %w", err)
	}
	return secret, p, nil
}

func (s *Sessions) get(ctx context.Context, token string) (Link, uint64, error) {
	if len(token) < 20 || len(token) > 100 {
		return Link{}, 0, ErrInvalidLink
	}
	e, err := s.kv.Get(ctx, digest(token))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Link{}, 0, ErrInvalidLink
	}
	if err != nil {
		return Link{}, 0, fmt.Errorf("session: %w", err)
	}
	var l Link
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		return Link{}, 0, fmt.Errorf("session: stored link: %w", err)
	}
	if !s.now().Before(l.ExpiresAt) {
		return Link{}, 0, ErrInvalidLink
	}
	return l, e.Revision(), nil
}

func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "link." + hex.EncodeToString(sum[:])
}
