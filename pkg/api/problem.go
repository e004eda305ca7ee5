package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/idempotency"
)

// ProblemBase prefixes problem type URIs.
const ProblemBase = "https://plaudit.dev/problems/"

// Problem is an RFC 9457 problem detail. Field names the request field at
// fault (a JSON field, "id" for the path, "Authorization" or
// "Idempotency-Key" for headers, "body" for the body as a whole).
type Problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail,omitempty"`
	Field     string          `json:"field,omitempty"`
	Allowance *AllowanceState `json:"allowance,omitempty"`
	// RetryAfter, in seconds, is also sent as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
}

// AllowanceState tells a refused giver where they stand.
type AllowanceState struct {
	Requested int       `json:"requested"`
	Limit     int       `json:"limit"`
	Spent     int       `json:"spent"`
	Remaining int       `json:"remaining"`
	Period    string    `json:"period"`
	ResetsAt  time.Time `json:"resets_at"`
}

func (p *Problem) Error() string { return p.Detail }

func problem(status int, kind, title, field, detail string) *Problem {
	return &Problem{Type: ProblemBase + kind, Title: title, Status: status, Field: field, Detail: detail}
}

func badRequest(field, detail string) *Problem {
	return problem(http.StatusBadRequest, "malformed-request", "Malformed request", field, detail)
}

func forbidden(field, detail string) *Problem {
	return problem(http.StatusForbidden, "forbidden", "Forbidden", field, detail)
}

func invalidField(field, detail string) *Problem {
	return problem(http.StatusUnprocessableEntity, "invalid-field", "Invalid field", field, detail)
}

// toProblem maps an error from any layer to the problem the client sees.
// Errors it does not know become a 500 without detail: they are logged, not
// shown.
func toProblem(err error) *Problem {
	var (
		p  *Problem
		rl *rateLimited
		ve *command.ValidationError
		ae *command.AllowanceError
		se *command.StateError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &rl):
		pr := problem(http.StatusTooManyRequests, "rate-limited", "Too many requests", rl.field, rl.detail)
		pr.RetryAfter = retryAfterSeconds(rl.retryAfter)
		return pr
	case errors.As(err, &ae):
		pr := problem(http.StatusUnprocessableEntity, "allowance-exceeded", "Allowance exceeded", "points", ae.Error())
		pr.Allowance = &AllowanceState{
			Requested: ae.Requested, Limit: ae.Limit, Spent: ae.Spent, Remaining: ae.Remaining,
			Period: ae.Period, ResetsAt: ae.ResetsAt,
		}
		return pr
	case errors.As(err, &ve):
		return invalidField(ve.Field, ve.Error())
	case errors.As(err, &se):
		switch {
		case errors.Is(se, command.ErrNotFound):
			return problem(http.StatusNotFound, "not-found", "Not found", se.Field, se.Error())
		case errors.Is(se, command.ErrForbidden):
			return forbidden(se.Field, se.Error())
		default:
			return problem(http.StatusConflict, "conflict", "Conflict", se.Field, se.Error())
		}
	case errors.Is(err, auth.ErrUnauthenticated):
		return problem(http.StatusUnauthorized, "unauthenticated", "Unauthenticated", "Authorization",
			"send a valid API key as 'Authorization: Bearer <key>'")
	case errors.Is(err, idempotency.ErrInProgress):
		return problem(http.StatusConflict, "request-in-progress", "Request in progress", "Idempotency-Key",
			"a request with this Idempotency-Key is still being processed; retry shortly")
	case errors.Is(err, idempotency.ErrMismatch):
		return problem(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused", "Idempotency-Key",
			"this Idempotency-Key was used for a different request")
	case errors.Is(err, command.ErrUnavailable):
		return problem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", "",
			"the event store did not answer; retry with the same Idempotency-Key")
	}
	return problem(http.StatusInternalServerError, "internal", "Internal error", "", "")
}

func (p *Problem) body() []byte {
	b, _ := json.Marshal(p)
	return b
}
