package command

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors callers branch on. Each maps to one HTTP status in the API layer.
var (
	// ErrNotFound is returned when the kudos, member, rating or nudge a
	// command names does not exist in its tenant.
	ErrNotFound = errors.New("not found")
	// ErrForbidden is returned when the actor may not do what the command
	// asks (retract another giver's kudos, say).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict is returned when the aggregate's state forbids the
	// command now (retracting twice, correcting a withdrawn rating), or
	// when the aggregate kept moving under contention for maxAttempts
	// decisions; the second is worth a retry.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable is returned when the event store did not answer, or
	// the directory has not caught up yet; the command is safe to retry.
	ErrUnavailable = errors.New("event store unavailable")
	// ErrAllowanceExceeded is returned, wrapped in an *AllowanceError, when
	// a kudos would overspend the giver's allowance.
	ErrAllowanceExceeded = errors.New("allowance exceeded")
)

// ValidationError is returned when a command's input is invalid: it names
// the field at fault, as the command (and the API request) names it, and
// says why. A field inside a list or an object is a path: "to[1]",
// "cause.type".
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// fieldNames maps the fields of an event, as its JSON Schema names them, to
// the fields of the command that makes it where they differ (a kudos'
// "recipients" are the command's "to"), so that a refusal by the schema
// names the field the caller sent. Each command that appends declares one.
type fieldNames map[string]string

// of is the command's name for the event's field: the first name of its
// path mapped, the rest kept ("recipients[1]" -> "to[1]").
func (f fieldNames) of(field string) string {
	end := strings.IndexAny(field, ".[")
	if end < 0 {
		end = len(field)
	}
	if name, ok := f[field[:end]]; ok {
		return name + field[end:]
	}
	return field
}

// StateError is returned when the aggregate's state refuses a command; it
// names the field that points at it, and Kind is ErrNotFound, ErrForbidden
// or ErrConflict.
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

// AllowanceError is returned when a kudos would overspend the giver's
// allowance; it says how much is left and when it resets.
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
