package teams

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// TestPost: how a workflow's answer decides what the relay does next, and
// that the workflow's URL, its credential, is in no error.
func TestPost(t *testing.T) {
	t.Parallel()
	answer := func(code int, retryAfter string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(code)
		}
	}
	type outcome int
	const (
		taken outcome = iota
		retried
		retriedAfter
		permanent
		halts
	)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		want       outcome
	}{
		{"202, as Power Automate answers", http.StatusAccepted, "", taken},
		{"200", http.StatusOK, "", taken},
		{"429 with Retry-After", http.StatusTooManyRequests, "7", retriedAfter},
		{"503 with Retry-After", http.StatusServiceUnavailable, "3", retriedAfter},
		{"429 without", http.StatusTooManyRequests, "", retried},
		{"408", http.StatusRequestTimeout, "", retried},
		{"500", http.StatusInternalServerError, "", retried},
		{"400: the card will not change", http.StatusBadRequest, "", permanent},
		{"404: no such workflow", http.StatusNotFound, "", permanent},
		{"410: the workflow is gone", http.StatusGone, "", halts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(answer(tt.code, tt.retryAfter))
			defer srv.Close()
			policy := webhook.Policy{Trusted: []string{"127.0.0.1"}}
			tm := &Teams{policy: policy, client: policy.Client(5 * time.Second)}
			url := srv.URL + "/workflows/x?sig=SECRETSIG"
			err := tm.post(context.Background(), url, post(Card{}, Routing{}))
			var (
				perm *backoff.PermanentError
				ra   *relay.RetryAfterError
			)
			got := retried
			switch {
			case err == nil:
				got = taken
			case errors.Is(err, errGone):
				got = halts
			case errors.As(err, &perm):
				got = permanent
			case errors.As(err, &ra):
				got = retriedAfter
			}
			if got != tt.want {
				t.Errorf("post = %v (%T), want outcome %d", err, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "SECRETSIG") {
				t.Errorf("the error shows the URL: %v", err)
			}
		})
	}
}

// TestPostChecksTheURL: a URL the policy no longer allows (the operator
// stopped trusting its host) is not posted to, whatever it resolves to,
// and the relay does not retry it.
func TestPostChecksTheURL(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	untrusting := webhook.Policy{}
	tm := &Teams{policy: untrusting, client: webhook.Policy{Trusted: []string{"127.0.0.1"}}.Client(5 * time.Second)}
	err := tm.post(context.Background(), srv.URL+"/workflows/x?sig=SECRETSIG", post(Card{}, Routing{}))
	var perm *backoff.PermanentError
	if !errors.Is(err, webhook.ErrDestination) || !errors.As(err, &perm) || hits.Load() != 0 {
		t.Errorf("post = %v after %d requests; want a permanent ErrDestination and none", err, hits.Load())
	}
	if err != nil && strings.Contains(err.Error(), "SECRETSIG") {
		t.Errorf("the error shows the URL: %v", err)
	}
}

// TestPostUnreachable: a workflow that cannot be reached is retried, and
// the error, which the relay logs and keeps with a dead letter, does not
// show its URL.
func TestPostUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/workflows/x?sig=SECRETSIG"
	srv.Close()
	policy := webhook.Policy{Trusted: []string{"127.0.0.1"}}
	tm := &Teams{policy: policy, client: policy.Client(5 * time.Second)}
	err := tm.post(context.Background(), url, post(Card{}, Routing{}))
	var perm *backoff.PermanentError
	if err == nil || errors.As(err, &perm) || strings.Contains(err.Error(), "SECRETSIG") {
		t.Errorf("post = %v; want an error to retry, without the URL", err)
	}
}
