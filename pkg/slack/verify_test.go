package slack_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/slackfake"
	"github.com/plaudit/plaudit/pkg/slack"
)

// TestVerify checks Slack's request signing, signed here by the fake's
// own code: good requests pass; a tampered body, another secret, a
// replay past five minutes, one dated ahead, and missing or malformed
// headers are refused.
func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_764_000_000, 0)
	body := []byte("token=x&team_id=T0ACME&user_id=U0ANA&command=%2Fkudos&text=%3C%40U0BO%3E+for+the+runbook")
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	headers := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(slack.HeaderTimestamp, ts)
		}
		if sig != "" {
			h.Set(slack.HeaderSignature, sig)
		}
		return h
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"good", headers(at(0), slackfake.Signature(signingSecret, at(0), body)), body, nil},
		{"good, 4 minutes old", headers(at(-4*time.Minute), slackfake.Signature(signingSecret, at(-4*time.Minute), body)), body, nil},
		{"good, 4 minutes ahead", headers(at(4*time.Minute), slackfake.Signature(signingSecret, at(4*time.Minute), body)), body, nil},
		{"tampered body", headers(at(0), slackfake.Signature(signingSecret, at(0), body)), append([]byte{}, append(body, '1')...), slack.ErrBadSignature},
		{"wrong secret", headers(at(0), slackfake.Signature("another-apps-signing-secret", at(0), body)), body, slack.ErrBadSignature},
		{"timestamp changed", headers(at(-1), slackfake.Signature(signingSecret, at(0), body)), body, slack.ErrBadSignature},
		{"replayed after 6 minutes", headers(at(-6*time.Minute), slackfake.Signature(signingSecret, at(-6*time.Minute), body)), body, slack.ErrStale},
		{"stale: dated 6 minutes ahead", headers(at(6*time.Minute), slackfake.Signature(signingSecret, at(6*time.Minute), body)), body, slack.ErrStale},
		{"no signature", headers(at(0), ""), body, slack.ErrNoSignature},
		{"no timestamp", headers("", slackfake.Signature(signingSecret, at(0), body)), body, slack.ErrNoSignature},
		{"timestamp not a number", headers("soon", slackfake.Signature(signingSecret, "soon", body)), body, slack.ErrNoSignature},
		{"signature of another version", headers(at(0), "v1="+slackfake.Signature(signingSecret, at(0), body)[3:]), body, slack.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := slack.Verify(tt.h, tt.body, []byte(signingSecret), now); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
