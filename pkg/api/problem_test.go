package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestUnansweredIsUnavailable: a NATS request that went unanswered on the
// way to a command (a bucket electing a leader after a node of the
// cluster died) is a 503 the client retries, not a 500.
func TestUnansweredIsUnavailable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"idempotency reservation timed out", fmt.Errorf("idempotency: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"key lookup without responders", fmt.Errorf("auth: %w", nats.ErrNoResponders), http.StatusServiceUnavailable},
		{"no response from the stream", fmt.Errorf("x: %w", jetstream.ErrNoStreamResponse), http.StatusServiceUnavailable},
		{"JetStream temporarily unavailable", fmt.Errorf("x: %w", &jetstream.APIError{Code: 503, ErrorCode: 10008}), http.StatusServiceUnavailable},
		{"a JetStream refusal", fmt.Errorf("x: %w", &jetstream.APIError{Code: 400, ErrorCode: 10052}), http.StatusInternalServerError},
		{"anything else", errors.New("boom"), http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := toProblem(tt.err)
			if p.Status != tt.want {
				t.Errorf("status %d, want %d (%s)", p.Status, tt.want, p.Detail)
			}
		})
	}
}
