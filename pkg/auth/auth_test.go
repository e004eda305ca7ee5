package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func openKeys(t *testing.T) (*auth.Keys, jetstream.KeyValue, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	js := testenv.JetStream(t, testenv.NATS(t, ""))
	keys, err := auth.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, auth.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return keys, kv, ctx
}

// TestKeysCacheMissesAndFollowTheBucket: a key not found is remembered, so
// asking again costs no lookup; the watch drops what the bucket changes,
// whoever changed it.
func TestKeysCacheMissesAndFollowTheBucket(t *testing.T) {
	t.Parallel()
	keys, kv, ctx := openKeys(t)
	const secret = "plk_written-by-another-replica-0001"
	if _, err := keys.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("unknown key: %v", err)
	}
	// Another replica creates the key: without the watch, the miss stands.
	_, p, err := keys.Create(ctx, auth.Principal{Tenant: "acme", Role: auth.Analyst}, "plk_made-here-to-learn-the-format-01")
	if err != nil {
		t.Fatal(err)
	}
	p.KeyID = "k_other"
	b, _ := json.Marshal(p)
	if _, err := kv.Put(ctx, auth.Digest(secret), b); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a cached miss was looked up again: %v", err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- keys.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	// Once the watch runs, a change made elsewhere is seen within moments
	// (written again until the watch, started concurrently, is there).
	waitFor(t, func() bool {
		if _, err := kv.Put(ctx, auth.Digest(secret), b); err != nil {
			t.Fatal(err)
		}
		_, err := keys.Authenticate(ctx, secret)
		return err == nil
	})
	list, err := keys.List(ctx, "acme")
	if err != nil || len(list) != 2 {
		t.Fatalf("list %v %v", list, err)
	}
	if _, err := keys.Revoke(ctx, "globex", "k_other"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("another tenant revoked it: %v", err)
	}
	// Revoked elsewhere (deleted straight from the bucket): refused here.
	if err := kv.Delete(ctx, auth.Digest(secret)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := keys.Authenticate(ctx, secret); return errors.Is(err, auth.ErrUnauthenticated) })
}

func TestExpiredKeyIsRefused(t *testing.T) {
	t.Parallel()
	keys, _, ctx := openKeys(t)
	at := time.Now().Add(300 * time.Millisecond)
	secret, _, err := keys.Create(ctx, auth.Principal{Tenant: "acme", Role: auth.Analyst, ExpiresAt: &at}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Authenticate(ctx, secret); err != nil {
		t.Fatalf("before it expires: %v", err)
	}
	waitFor(t, func() bool { _, err := keys.Authenticate(ctx, secret); return errors.Is(err, auth.ErrUnauthenticated) })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if !testenv.Within(10*time.Second, cond) {
		t.Fatal("condition not met within 10 s")
	}
}
