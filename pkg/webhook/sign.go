// Package webhook delivers Plaudit's events to HTTP endpoints as Standard
// Webhooks (standardwebhooks.com): each request carries the event as stored
// (its CloudEvents JSON), its id as webhook-id, the time of sending as
// webhook-timestamp, and webhook-signature, an HMAC-SHA256 of
// "id.timestamp.body" under the subscription's secret, so a receiver can
// tell a delivery from Plaudit from anything else and refuse replays.
//
// It also decides where a delivery may go (Policy): an endpoint names a URL
// its subscriber chose, and a request the engine makes on their behalf must
// not reach the engine's own network.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts the text form of a secret: "whsec_" and the base64
// of its key.
const SecretPrefix = "whsec_"

// secretLen is the length of a key NewSecret makes; the specification asks
// for 24 to 64 bytes.
const secretLen = 32

// ErrSecret is returned when a secret's text is not "whsec_" and the base64
// of 24 to 64 bytes.
var ErrSecret = errors.New("webhook: a secret is whsec_ and the base64 of 24 to 64 bytes")

// Secret is a subscription's signing key. Its String and LogValue hide it:
// Reveal gives the text form, shown once to the subscriber.
type Secret []byte

// NewSecret makes a random secret.
func NewSecret() (Secret, error) {
	s := make(Secret, secretLen)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSecret reads a secret's text form.
func ParseSecret(text string) (Secret, error) {
	b64, ok := strings.CutPrefix(text, SecretPrefix)
	if !ok {
		return nil, ErrSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrSecret
	}
	return key, nil
}

// Reveal is the secret's text form.
func (s Secret) Reveal() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s) }

// String hides the secret.
func (s Secret) String() string { return SecretPrefix + "…" }

// LogValue hides the secret from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Sign is the webhook-signature of body sent as delivery id at t: one
// "v1,<base64 HMAC-SHA256>" per secret, space-separated, so that while a
// rotation overlaps a receiver holding either secret accepts it.
func Sign(id string, t time.Time, body []byte, secrets ...Secret) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write([]byte(id + "." + strconv.FormatInt(t.Unix(), 10) + "."))
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}

// SetHeaders sets the headers of a delivery of body, as id, sent at t.
func SetHeaders(h http.Header, id string, t time.Time, body []byte, secrets ...Secret) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(t.Unix(), 10))
	h.Set(HeaderSignature, Sign(id, t, body, secrets...))
}
