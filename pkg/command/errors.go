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
	// Rule names the rule of recognition the input broke, where one did
	// (RuleSelf, RuleGenericMessage, RuleShortMessage); "" for input that
	// is merely malformed. See Refusal.
	Rule string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// breaks is invalid for input that breaks a named rule of recognition.
func breaks(rule, field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Rule: rule}
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
	// Busy marks the conflict of an aggregate that kept moving for
	// maxAttempts decisions, rather than one whose state forbids the
	// command: the command is worth a retry.
	Busy bool
}

func (e *StateError) Error() string { return e.Field + ": " + e.Reason }
func (e *StateError) Unwrap() error { return e.Kind }

func refuse(kind error, field, format string, args ...any) error {
	return &StateError{Kind: kind, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// exhausted is the refusal of a command whose aggregate kept moving
// under contention for maxAttempts decisions.
func exhausted(field, format string, args ...any) error {
	return &StateError{Kind: ErrConflict, Field: field, Reason: fmt.Sprintf(format, args...), Busy: true}
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

// Why a command was refused, as Refusal names it: stable, few, and free of
// ids, so that metrics can be labelled with them.
const (
	RuleAllowance      = "allowance"                // the giver's allowance would be overspent
	RuleSelf           = "self"                     // a giver among the recipients
	RuleGenericMessage = "generic_message"          // a message of generic praise only
	RuleShortMessage   = "message_too_short"        // a message shorter than the tenant's minimum
	RuleValidation     = "validation"               // other invalid input
	RuleNotFound       = "not_found"                // what the command names does not exist
	RuleForbidden      = "forbidden"                // the actor may not do this
	RuleConflict       = "conflict"                 // the aggregate's state forbids it now
	RuleRetryExhausted = "conflict_retry_exhausted" // the aggregate kept moving; retry
	RuleUnavailable    = "unavailable"              // the event store did not answer
)

// Refusal names why err refused a command, one of the Rule constants, or
// "" when err is none of this package's refusals. It is the one place the
// errors above are told apart for counting.
func Refusal(err error) string {
	var (
		ae *AllowanceError
		ve *ValidationError
		se *StateError
	)
	switch {
	case errors.As(err, &ae):
		return RuleAllowance
	case errors.As(err, &ve):
		if ve.Rule != "" {
			return ve.Rule
		}
		return RuleValidation
	case errors.As(err, &se):
		switch {
		case se.Busy:
			return RuleRetryExhausted
		case errors.Is(se.Kind, ErrNotFound):
			return RuleNotFound
		case errors.Is(se.Kind, ErrForbidden):
			return RuleForbidden
		}
		return RuleConflict
	case errors.Is(err, ErrUnavailable):
		return RuleUnavailable
	}
	return ""
}
