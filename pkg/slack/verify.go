package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack's signing headers.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderRetryNum  = "X-Slack-Retry-Num"
)

// MaxSkew is how far a request's timestamp may be from now, either way:
// a request captured and sent again later is refused once it is older,
// and one dated ahead is not kept to be replayed.
const MaxSkew = 5 * time.Minute

// Why a request's signature was refused.
var (
	ErrNoSignature  = errors.New("slack: the request is not signed")
	ErrStale        = errors.New("slack: the request's timestamp is more than 5 minutes from now")
	ErrBadSignature = errors.New("slack: the request's signature does not match")
)

// sign is the X-Slack-Signature of body sent at ts, as Slack computes it:
// "v0=" and the hex HMAC-SHA256 of "v0:<ts>:<body>" under the signing
// secret.
func sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks that body, with headers h, was signed with secret at a
// time within MaxSkew of now. It is called on the raw body, before any of
// it is parsed. The signatures are compared in constant time.
func Verify(h http.Header, body, secret []byte, now time.Time) error {
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	if !hmac.Equal([]byte(sig), []byte(sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}
