package teams

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Why an outgoing-webhook request is refused before it is read.
var (
	// ErrSignature: no Authorization: HMAC header, or one that is not the
	// body's HMAC under the tenant's security token.
	ErrSignature = errors.New("teams: the request is not signed with this tenant's security token")
	// ErrStale: the activity's timestamp is more than MaxSkew from now.
	// The signature covers no time, so this bounds how long a captured
	// request can be replayed (and a replay gives nothing twice anyway).
	ErrStale = errors.New("teams: the activity's timestamp is too far from now")
)

// MaxSkew is how far an activity's timestamp may be from the engine's
// clock.
const MaxSkew = 5 * time.Minute

// Sign is the Authorization header Teams sends with body under the
// security token key (decoded): "HMAC " and the base64 HMAC-SHA256 of the
// raw body.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "HMAC " + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verify checks the Authorization header of a request with body against
// key, in constant time.
func verify(key []byte, authorization string, body []byte) error {
	const scheme = "HMAC "
	if len(authorization) <= len(scheme) || !strings.EqualFold(authorization[:len(scheme)], scheme) {
		return ErrSignature
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(authorization[len(scheme):]))
	if err != nil {
		return ErrSignature
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// checkTime refuses a timestamp more than MaxSkew from now, or none.
func checkTime(ts string, now time.Time) error {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	return nil
}
