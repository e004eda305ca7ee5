package teams

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("fedcba9876543210fedcba9876543210")
	body := []byte(`{"type":"message","text":"<at>Plaudit</at> hi"}`)
	good := Sign(key, body)
	tests := []struct {
		name, auth string
		body       []byte
		ok         bool
	}{
		{"good", good, body, true},
		{"the scheme in lower case", "hmac " + good[len("HMAC "):], body, true},
		{"tampered body", good, []byte(`{"type":"message","text":"<at>Plaudit</at> hi!"}`), false},
		{"wrong token", Sign(other, body), body, false},
		{"missing header", "", body, false},
		{"no signature", "HMAC ", body, false},
		{"not base64", "HMAC !!!!", body, false},
		{"another scheme", "Bearer " + good[len("HMAC "):], body, false},
		{"a truncated signature", good[:len(good)-4], body, false},
	}
	for _, tt := range tests {
		err := verify(key, tt.auth, tt.body)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrSignature)) {
			t.Errorf("%s: verify = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestCheckTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name, ts string
		ok       bool
	}{
		{"now, as Teams writes it", "2026-12-06T16:00:00.1234567Z", true},
		{"with an offset", "2026-12-06T17:04:00+01:00", true},
		{"4 minutes old", "2026-12-06T15:56:00Z", true},
		{"5 minutes and a second old", "2026-12-06T15:54:59Z", false},
		{"6 minutes ahead", "2026-12-06T16:06:00Z", false},
		{"none", "", false},
		{"not a time", "yesterday", false},
	}
	for _, tt := range tests {
		if err := checkTime(tt.ts, now); (err == nil) != tt.ok {
			t.Errorf("%s: checkTime(%q) = %v, want ok %v", tt.name, tt.ts, err, tt.ok)
		}
	}
}
