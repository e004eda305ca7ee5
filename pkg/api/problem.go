package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/idempotency"
)

// problem is the problem of kind (after apiv1.ProblemBase). An
// *apiv1.Problem is an error: the gateway returns the problems it answers
// with, and toProblem maps every other error.
func problem(status int, kind, title, field, detail string) *apiv1.Problem {
	return &apiv1.Problem{Type: apiv1.ProblemBase + kind, Title: title, Status: status, Field: field, Detail: detail}
}

func badRequest(field, detail string) *apiv1.Problem {
	return problem(http.StatusBadRequest, "malformed-request", "Malformed request", field, detail)
}

func forbidden(field, detail string) *apiv1.Problem {
	return problem(http.StatusForbidden, "forbidden", "Forbidden", field, detail)
}

func notFound(field, detail string) *apiv1.Problem {
	return problem(http.StatusNotFound, "not-found", "Not found", field, detail)
}

func invalidField(field, detail string) *apiv1.Problem {
	return problem(http.StatusUnprocessableEntity, "invalid-field", "Invalid field", field, detail)
}

// toProblem maps an error from any layer to the problem the client sees.
// Errors it does not know become a 500 without detail: they are logged, not
// shown.
func toProblem(err error) *apiv1.Problem {
	var (
		p  *apiv1.Problem
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
		pr.Allowance = &apiv1.AllowanceState{
			Requested: ae.Requested, Limit: ae.Limit, Spent: ae.Spent, Remaining: ae.Remaining,
			Period: ae.Period, ResetsAt: ae.ResetsAt,
		}
		return pr
	case errors.As(err, &ve):
		return invalidField(ve.Field, ve.Error())
	case errors.As(err, &se):
		switch {
		case errors.Is(se, command.ErrNotFound):
			return notFound(se.Field, se.Error())
		case errors.Is(se, command.ErrForbidden):
			return forbidden(se.Field, se.Error())
		default:
			return problem(http.StatusConflict, "conflict", "Conflict", se.Field, se.Error())
		}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return problem(s.status, s.kind, s.title, s.field, s.detail)
		}
	}
	if unanswered(err) {
		return problem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", "",
			"NATS did not answer in time; retry with the same Idempotency-Key")
	}
	return problem(http.StatusInternalServerError, "internal", "Internal error", "", "")
}

// unanswered reports whether err is a NATS request that went unanswered
// or that JetStream refused for the moment: what a client of a cluster
// meets while a bucket or stream elects a new leader after a node died,
// anywhere on the way (an idempotency reservation, a key lookup). Nothing
// is wrong but the moment; the request may be retried.
func unanswered(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == http.StatusServiceUnavailable
	}
	for _, e := range []error{context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, jetstream.ErrNoStreamResponse,
		nats.ErrConnectionReconnecting, nats.ErrDisconnected} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// sentinels are the errors that always mean the same problem.
var sentinels = []struct {
	err                        error
	status                     int
	kind, title, field, detail string
}{
	{auth.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Unauthenticated", "Authorization",
		"send a valid API key as 'Authorization: Bearer <key>'"},
	{idempotency.ErrInProgress, http.StatusConflict, "request-in-progress", "Request in progress", "Idempotency-Key",
		"a request with this Idempotency-Key is still being processed; retry shortly"},
	{idempotency.ErrMismatch, http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused", "Idempotency-Key",
		"this Idempotency-Key was used for a different request"},
	{command.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "",
		"the event store did not answer; retry with the same Idempotency-Key"},
}

// problemBody is the JSON of p.
func problemBody(p *apiv1.Problem) []byte {
	b, _ := json.Marshal(p)
	return b
}
