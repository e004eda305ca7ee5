package webhook_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/plaudit/plaudit/pkg/webhook"
)

func secret(t *testing.T) webhook.Secret {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSignatureVerifiesIndependently checks deliveries with the Standard
// Webhooks reference library, not with this package's own code: a
// delivery as signed verifies, and one tampered with, replayed late, or
// checked with another secret does not.
func TestSignatureVerifiesIndependently(t *testing.T) {
	t.Parallel()
	body := []byte(`{"specversion":"1.0","id":"01a207c7-d870-7dfc-af0c-706a8b43b1ca","type":"plaudit.recognition.kudos_given.v1"}`)
	const id = "01a207c7-d870-7dfc-af0c-706a8b43b1ca"
	current, next := secret(t), secret(t)
	verifier := func(s webhook.Secret) *standardwebhooks.Webhook {
		t.Helper()
		v, err := standardwebhooks.NewWebhook(s.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	signed := func(id string, at time.Time, body []byte, secrets ...webhook.Secret) http.Header {
		h := http.Header{}
		webhook.SetHeaders(h, id, at, body, secrets...)
		return h
	}
	now := time.Now()
	tests := []struct {
		name    string
		headers http.Header
		body    []byte
		with    webhook.Secret
		wantErr error
	}{
		{"as signed", signed(id, now, body, current), body, current, nil},
		{"the body changed", signed(id, now, body, current), bytes.Replace(body, []byte("kudos_given"), []byte("kudos_taken"), 1), current, standardwebhooks.ErrNoMatchingSignature},
		{"another id", func() http.Header { h := signed(id, now, body, current); h.Set(webhook.HeaderID, "another"); return h }(), body, current, standardwebhooks.ErrNoMatchingSignature},
		{"another secret", signed(id, now, body, current), body, next, standardwebhooks.ErrNoMatchingSignature},
		{"replayed ten minutes later", signed(id, now.Add(-10*time.Minute), body, current), body, current, standardwebhooks.ErrMessageTooOld},
		{"rotating: the old secret", signed(id, now, body, current, next), body, current, nil},
		{"rotating: the new secret", signed(id, now, body, current, next), body, next, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := verifier(tt.with).Verify(tt.body, tt.headers)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSecretText(t *testing.T) {
	t.Parallel()
	s := secret(t)
	got, err := webhook.ParseSecret(s.Reveal())
	if err != nil || !bytes.Equal(got, s) {
		t.Fatalf("ParseSecret(Reveal()) = %x, %v; want %x", got, err, []byte(s))
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "sk_" + strings.TrimPrefix(s.Reveal(), webhook.SecretPrefix), "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(bad); !errors.Is(err, webhook.ErrSecret) {
			t.Errorf("ParseSecret(%q) = %v, want ErrSecret", bad, err)
		}
	}
	// Printed or logged, a secret shows only its prefix.
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("subscription", "secret", s)
	key := strings.TrimPrefix(s.Reveal(), webhook.SecretPrefix)
	if strings.Contains(logged.String(), key) || strings.Contains(s.String(), key) {
		t.Errorf("the secret shows in %q or %q", logged.String(), s.String())
	}
}
