package command

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers branch on. Each maps to one HTTP status in the API layer.
var (
	// ErrNotFound: the kudos, member or rating does not exist in this tenant.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the state forbids it now (retracting twice), or the
	// aggregate kept moving under contention.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the event store did not answer; safe to retry.
	ErrUnavailable = errors.New("event store unavailable")
	// ErrAllowanceExceeded: see *AllowanceError.
	ErrAllowanceExceeded = errors.New("allowance exceeded")
)

// ValidationError names the field at fault and says why.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// StateError is a refusal by the aggregate's state, naming the field that
// points at it (ErrNotFound, ErrForbidden or ErrConflict).
type StateError struct {
	Kind   error
	Field  string
	Reason string
}

func (e *StateError) Error() string { return e.Field + ": " + e.Reason }
func (e *StateError) Unwrap() error { return e.Kind }

func refuse(kind error, field, format string, args ...any) error {
	return &StateError{Kind: kind, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// AllowanceError refuses a kudos that would overspend the giver's allowance
// and says how much is left and when it resets.
type AllowanceError struct {
	Requested int
	Limit     int
	Spent     int
	Remaining int
	Period    string
	ResetsAt  time.Time
}

func (e *AllowanceError) Error() string {
	return fmt.Sprintf("allowance: %d points requested, %d of %d left this period, resets at %s",
		e.Requested, e.Remaining, e.Limit, e.ResetsAt.Format(time.RFC3339))
}

func (e *AllowanceError) Unwrap() error { return ErrAllowanceExceeded }
