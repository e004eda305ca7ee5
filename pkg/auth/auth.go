// Package auth holds Plaudit's API keys: who a bearer key is (tenant, role,
// optional member) and what each role may do. Keys are kept in a JetStream
// key-value bucket as SHA-256 digests, so the secret itself is never stored;
// it is shown once, when created.
package auth

import (
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
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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
}

// ErrUnauthenticated: no key, or not a key of ours.
var ErrUnauthenticated = errors.New("auth: unknown or missing API key")

// Bucket is the key-value bucket of API keys.
const Bucket = "plaudit_keys"

// Keys stores and resolves API keys. It is safe for concurrent use.
type Keys struct {
	kv    jetstream.KeyValue
	cache sync.Map // digest -> Principal
}

// Open creates or binds the keys bucket.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Keys, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Plaudit API keys, by SHA-256 of the secret",
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: open %s: %w", Bucket, err)
	}
	return &Keys{kv: kv}, nil
}

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
// returns the secret and the stored principal.
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
	if _, err := k.kv.Create(ctx, digest(secret), b); err != nil {
		return "", Principal{}, fmt.Errorf("auth: create key: %w", err)
	}
	return secret, p, nil
}

// Authenticate resolves a bearer secret.
func (k *Keys) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrUnauthenticated
	}
	d := digest(secret)
	if p, ok := k.cache.Load(d); ok {
		return p.(Principal), nil
	}
	e, err := k.kv.Get(ctx, d)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: %w", err)
	}
	var p Principal
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return Principal{}, fmt.Errorf("auth: stored key: %w", err)
	}
	k.cache.Store(d, p)
	return p, nil
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
