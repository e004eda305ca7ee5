// Package auth holds Plaudit's API keys: who a bearer key is (tenant, role,
// optional member) and what each role may do. Keys are kept in a JetStream
// key-value bucket as SHA-256 digests, so the secret itself is never stored;
// it is shown once, when created.
package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
)

// Role is what a key may do.
type Role string

// Roles.
const (
	Admin       Role = "admin"       // everything in the tenant
	Integration Role = "integration" // chat and people integrations: gives as anyone, syncs members
	Member      Role = "member"      // a person: gives, reacts and retracts as themself
	Manager     Role = "manager"     // a member who also sees their team's metrics
	Analyst     Role = "analyst"     // reads
	Publisher   Role = "publisher"   // contact-centre platforms: records ratings, nothing else
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case Admin, Integration, Member, Manager, Analyst, Publisher:
		return true
	}
	return false
}

// Personal roles act as their member and must be bound to one.
func (r Role) Personal() bool { return r == Member || r == Manager }

// Principal is who a request comes from.
type Principal struct {
	KeyID     string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Role      Role      `json:"role"`
	Member    string    `json:"member,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Session marks a web page's sign-in (package session): a member's
	// key whose secret only that browser holds.
	Session bool `json:"session,omitempty"`
}

// ErrNotFound is returned when no key of that id is in the tenant.
var ErrNotFound = errors.New("auth: no such key")

// ErrUnauthenticated is returned when a request carries no key, or not a
// key of ours.
var ErrUnauthenticated = errors.New("auth: unknown or missing API key")

// Bucket is the key-value bucket of API keys.
const Bucket = "plaudit_keys"

// Keys stores and resolves API keys. It is safe for concurrent use.
//
// It caches what it resolved, keys found and keys not found alike, so that a
// flood of unknown keys costs no lookups in the bucket. Run keeps the cache
// true to the bucket: a key created, revoked or deleted on any replica is
// seen here within moments. Entries also age out (cacheTTL, missTTL), so a
// cache whose watch has stopped is stale for a bounded time only.
type Keys struct {
	kv  jetstream.KeyValue
	now func() time.Time

	mu     sync.Mutex
	cache  map[string]cached // digest -> what the bucket said
	misses int               // entries in cache that are misses
}

type cached struct {
	p     Principal
	found bool
	at    time.Time
}

// How long a resolved key, and a key not found, are trusted without the
// bucket; and how many misses are kept at most.
const (
	cacheTTL  = 5 * time.Minute
	missTTL   = 30 * time.Second
	maxMisses = 100_000
)

// Open creates or binds the keys bucket.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Keys, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit API keys, by SHA-256 of the secret",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Keys{kv: kv, now: time.Now, cache: map[string]cached{}}, nil
}

// Digest is the bucket key a secret is stored under: its SHA-256.
func Digest(secret string) string { return digest(secret) }

func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "key." + hex.EncodeToString(sum[:])
}

// NewSecret returns a fresh random API key.
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "plk_" + base64.RawURLEncoding.EncodeToString(b)
}

// Create stores a key for p under secret (a fresh one when empty) and
// returns the secret and the stored principal. p.ExpiresAt, when set, is
// kept.
func (k *Keys) Create(ctx context.Context, p Principal, secret string) (string, Principal, error) {
	if secret == "" {
		secret = NewSecret()
	}
	if len(secret) < 16 {
		return "", Principal{}, errors.New("auth: a key is at least 16 characters")
	}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	p.KeyID = "k_" + hex.EncodeToString(id)
	p.CreatedAt = time.Now().UTC().Truncate(time.Second)
	b, _ := json.Marshal(p)
	d := digest(secret)
	if _, err := k.kv.Create(ctx, d, b); err != nil {
		return "", Principal{}, fmt.Errorf("auth: create key: %w", err)
	}
	k.forget(d)
	return secret, p, nil
}

// Authenticate resolves a bearer secret. An unknown, revoked or expired
// key is ErrUnauthenticated.
func (k *Keys) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrUnauthenticated
	}
	d := digest(secret)
	now := k.now()
	k.mu.Lock()
	c, ok := k.cache[d]
	k.mu.Unlock()
	if !ok || now.Sub(c.at) > ttl(c.found) {
		e, err := k.kv.Get(ctx, d)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			c = cached{at: now}
		case err != nil:
			return Principal{}, fmt.Errorf("auth: %w", err)
		default:
			c = cached{found: true, at: now}
			if err := json.Unmarshal(e.Value(), &c.p); err != nil {
				return Principal{}, fmt.Errorf("auth: stored key: %w", err)
			}
		}
		k.remember(d, c)
	}
	if !c.found || (c.p.ExpiresAt != nil && !now.Before(*c.p.ExpiresAt)) {
		return Principal{}, ErrUnauthenticated
	}
	return c.p, nil
}

func ttl(found bool) time.Duration {
	if found {
		return cacheTTL
	}
	return missTTL
}

func (k *Keys) remember(d string, c cached) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.cache[d]; ok && !old.found {
		k.misses--
	}
	if !c.found {
		if k.misses >= maxMisses {
			// A flood of distinct unknown keys: start the misses afresh.
			for key, e := range k.cache {
				if !e.found {
					delete(k.cache, key)
				}
			}
			k.misses = 0
		}
		k.misses++
	}
	k.cache[d] = c
}

// forget drops what the cache holds for digest d.
func (k *Keys) forget(d string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.cache[d]; ok {
		if !old.found {
			k.misses--
		}
		delete(k.cache, d)
	}
}

// Run keeps the cache true to the bucket until ctx ends: every change to
// a key, made by this process or another, drops the key from the cache.
func (k *Keys) Run(ctx context.Context) error {
	err := bucket.Watch(ctx, k.kv, "key.*", nil, func(e jetstream.KeyValueEntry) { k.forget(e.Key()) })
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// List returns the tenant's keys, oldest first. Secrets are not stored,
// so none is listed.
func (k *Keys) List(ctx context.Context, tenant string) ([]Principal, error) {
	all, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	out := []Principal{}
	for _, e := range all {
		if e.Value.Tenant == tenant {
			out = append(out, e.Value)
		}
	}
	slices.SortFunc(out, func(a, b Principal) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.KeyID, b.KeyID))
	})
	return out, nil
}

// all is every key of every tenant, under its digest.
func (k *Keys) all(ctx context.Context) ([]bucket.Record[Principal], error) {
	all, err := bucket.All[Principal](ctx, k.kv, "key.*")
	if err != nil {
		return nil, fmt.Errorf("auth: list keys: %w", err)
	}
	return all, nil
}

// Revoke deletes the tenant's key id: it stops working here at once and on
// every replica as soon as its watch sees the deletion.
func (k *Keys) Revoke(ctx context.Context, tenant, id string) (Principal, error) {
	all, err := k.all(ctx)
	if err != nil {
		return Principal{}, err
	}
	for _, e := range all {
		if e.Value.KeyID == id && e.Value.Tenant == tenant {
			if err := k.kv.Delete(ctx, e.Key); err != nil {
				return Principal{}, fmt.Errorf("auth: revoke %s: %w", id, err)
			}
			k.forget(e.Key)
			return e.Value, nil
		}
	}
	return Principal{}, ErrNotFound
}

// BootstrapTenant is the tenant of the first admin key.
const BootstrapTenant = "default"

// Bootstrap creates the first admin key of tenant "default" once, on the
// first start: secret when given (PLAUDIT_BOOTSTRAP_KEY), else a generated
// one. The key is written to keyFile with mode 0600 so the CLI on the same
// machine finds it. It reports whether this start created the key.
func (k *Keys) Bootstrap(ctx context.Context, secret, keyFile string) (bool, error) {
	const marker = "meta.bootstrapped"
	if _, err := k.kv.Get(ctx, marker); err == nil {
		return false, nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("auth: bootstrap: %w", err)
	}
	given := strings.TrimSpace(secret)
	secret, _, err := k.Create(ctx, Principal{Tenant: BootstrapTenant, Role: Admin}, given)
	if given != "" && errors.Is(err, jetstream.ErrKeyExists) {
		// An earlier start stored this key and stopped before the marker.
		secret, err = given, nil
	}
	if err != nil {
		return false, err
	}
	// The file is written before the marker: a start that stops in between
	// must not leave a bootstrapped data dir whose key nobody has.
	if keyFile != "" {
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
			return false, fmt.Errorf("auth: bootstrap: %w", err)
		}
		if err := os.WriteFile(keyFile, []byte(secret+"\n"), 0o600); err != nil {
			return false, fmt.Errorf("auth: bootstrap: %w", err)
		}
		// WriteFile keeps the mode of a file that was there already.
		if err := os.Chmod(keyFile, 0o600); err != nil {
			return false, fmt.Errorf("auth: bootstrap: %w", err)
		}
	}
	if _, err := k.kv.Create(ctx, marker, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return false, fmt.Errorf("auth: bootstrap: %w", err)
	}
	return true, nil
}
