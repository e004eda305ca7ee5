package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func newRegistry(t *testing.T, sealer *seal.Sealer) (*Registry, *testenv.Clock) {
	t.Helper()
	js := testenv.JetStream(t, testenv.NATS(t, ""))
	r, err := OpenRegistry(context.Background(), js, 1, sealer, Policy{Trusted: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	clock := testenv.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	r.now = clock.Now
	return r, clock
}

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	s, err := seal.Load(filepath.Join(t.TempDir(), "webhook.key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSubscriptionsKeepSecretsSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := newRegistry(t, testSealer(t))
	s, secret, err := r.Create(ctx, "acme", "https://hooks.example.com/in?token=s3cr3t", []string{"plaudit.recognition.kudos_given.v1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, "acme", s.ID)
	if err != nil || got.URL != s.URL || !got.Wants("plaudit.recognition.kudos_given.v1") || got.Wants("plaudit.feedback.rating_received.v1") {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	signing, err := r.Secrets(got)
	if err != nil || len(signing) != 1 || !bytes.Equal(signing[0], secret) {
		t.Fatalf("Secrets = %x, %v; want the secret made", signing, err)
	}
	// What the bucket holds shows the secret in no form.
	e, err := r.kv.Get(ctx, key("acme", s.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range [][]byte{secret, []byte(secret.Reveal()), []byte(base64.StdEncoding.EncodeToString(secret)), []byte("s3cr3t")} {
		if bytes.Contains(e.Value(), form) {
			t.Errorf("the bucket holds the secret or the URL's token in the clear: %s", e.Value())
		}
	}
	if got.URL != "https://hooks.example.com/in?token=s3cr3t" || got.Endpoint() != "https://hooks.example.com" {
		t.Errorf("URL %q, endpoint %q", got.URL, got.Endpoint())
	}
	// Another engine's key does not open it.
	other, _ := newRegistry(t, testSealer(t))
	if _, err := other.Secrets(got); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Secrets under another key = %v, want seal.ErrOpen", err)
	}
	// Nor does the subscription's sealed secret under another id.
	moved := got
	moved.ID = "wh_0000000000000000"
	if _, err := r.Secrets(moved); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("a sealed secret moved to another subscription opened: %v", err)
	}
	moved = got
	moved.Tenant = "globex"
	if _, err := r.Secrets(moved); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("a sealed secret moved to another tenant opened: %v", err)
	}
}

func TestCreateRefusesADestinationNotAllowed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := newRegistry(t, testSealer(t))
	for _, url := range []string{"http://hooks.example.com/in", "https://169.254.169.254/latest"} {
		if _, _, err := r.Create(ctx, "acme", url, nil); !errors.Is(err, ErrDestination) {
			t.Errorf("Create(%s) = %v, want ErrDestination", url, err)
		}
	}
	if all, err := r.List(ctx, ""); err != nil || len(all) != 0 {
		t.Errorf("refused subscriptions stored: %+v, %v", all, err)
	}
}

func TestListDeleteAndDisable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, clock := newRegistry(t, testSealer(t))
	first, _, err := r.Create(ctx, "acme", "https://a.example.com/in", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	second, _, err := r.Create(ctx, "acme", "http://127.0.0.1:9/in", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Create(ctx, "globex", "https://g.example.com/in", nil); err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID {
		t.Fatalf("List(acme) = %+v, %v; want its two, oldest first", list, err)
	}
	if _, err := r.Get(ctx, "globex", first.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Get = %v, want ErrNotFound", err)
	}
	if err := r.Disable(ctx, "acme", first.ID, "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get(ctx, "acme", first.ID); got.Wants("plaudit.recognition.kudos_given.v1") || got.DisabledReason != "410 Gone" {
		t.Errorf("a disabled subscription: %+v", got)
	}
	if err := r.Delete(ctx, "acme", second.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "acme", second.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice = %v, want ErrNotFound", err)
	}
	if err := r.Delete(ctx, "globex", first.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Delete = %v, want ErrNotFound", err)
	}
}

// TestRotateOverlaps: after a rotation both secrets sign until the
// overlap ends, then only the new one.
func TestRotateOverlaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, clock := newRegistry(t, testSealer(t))
	s, old, err := r.Create(ctx, "acme", "https://a.example.com/in", nil)
	if err != nil {
		t.Fatal(err)
	}
	signing := func() []Secret {
		t.Helper()
		got, err := r.Get(ctx, "acme", s.ID)
		if err != nil {
			t.Fatal(err)
		}
		secrets, err := r.Secrets(got)
		if err != nil {
			t.Fatal(err)
		}
		return secrets
	}
	fresh, err := r.Rotate(ctx, "acme", s.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := signing(); len(got) != 2 || !bytes.Equal(got[0], fresh) || !bytes.Equal(got[1], old) {
		t.Fatalf("during the overlap %d secrets sign, want the new then the old", len(got))
	}
	clock.Advance(time.Hour)
	if got := signing(); len(got) != 1 || !bytes.Equal(got[0], fresh) {
		t.Fatalf("after the overlap %d secrets sign, want the new one", len(got))
	}
	newest, err := r.Rotate(ctx, "acme", s.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := signing(); len(got) != 1 || !bytes.Equal(got[0], newest) {
		t.Fatalf("a rotation without overlap leaves %d secrets, want the new one", len(got))
	}
	if _, err := r.Rotate(ctx, "acme", "wh_missing", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rotate of no subscription = %v, want ErrNotFound", err)
	}
}
