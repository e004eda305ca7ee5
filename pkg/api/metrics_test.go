package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
)

// TestRouteMux: the route of a request is a pattern registered, never a
// path: what ServeMux answers itself (a redirect to a path of the
// request's, a method no pattern takes) is "unmatched".
func TestRouteMux(t *testing.T) {
	t.Parallel()
	m := newRouteMux()
	ok := func(http.ResponseWriter, *http.Request) {}
	m.HandleFunc("GET /v1/kudos/{id}", ok)
	m.Handle("/v1/trees/{id}/", http.HandlerFunc(ok))
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/v1/kudos/k-123", "GET /v1/kudos/{id}"},
		{"GET", "/v1/trees/t-1/leaves", "/v1/trees/{id}/"},
		{"DELETE", "/v1/kudos/k-123", "unmatched"},
		{"GET", "/v1/nothing", "unmatched"},
		// Redirected to "/v1/trees/t-987/", which names the request's id.
		{"CONNECT", "/v1/trees/t-987", "unmatched"},
		{"GET", "/v1/trees/t-987", "/v1/trees/{id}/"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := m.route(r); got != tt.want {
			t.Errorf("%s %s: route %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestRefusalReason: a refusal is named by the write side's rule when it
// broke one, else by the kind of problem answered, in snake case.
func TestRefusalReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"overspend", fmt.Errorf("give: %w", &command.AllowanceError{Requested: 6, Limit: 5}), command.RuleAllowance},
		{"invalid field of the write side", &command.ValidationError{Field: "points", Reason: "too many"}, command.RuleValidation},
		{"invalid field of the gateway", invalidField("min_seq", "must be a number"), command.RuleValidation},
		{"no key", auth.ErrUnauthenticated, "unauthenticated"},
		{"too fast", &rateLimited{detail: "slow down"}, "rate_limited"},
		{"malformed", badRequest("body", "not JSON"), "malformed_request"},
		{"not ours", &apiv1.Problem{Type: "about:blank", Status: 400}, "other"},
		{"unknown", errors.New("disk on fire"), "internal"},
	}
	for _, tt := range tests {
		if got := refusalReason(tt.err, toProblem(tt.err)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]string{200: "2xx", 201: "2xx", 429: "4xx", 503: "5xx", 0: "other", 600: "other"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}
