package chat

import (
	"errors"

	"github.com/plaudit/plaudit/pkg/command"
)

// Refusal is the write side's refusal of a command in the words the
// API's problem detail uses ("allowance: 6 points requested, …"), and
// true; or "" and false when err is no refusal but a failure to decide
// (the store unavailable, a deadline), which the caller answers itself.
func Refusal(err error) (string, bool) {
	var (
		ae *command.AllowanceError
		ve *command.ValidationError
		se *command.StateError
	)
	switch {
	case errors.As(err, &ae):
		return ae.Error(), true
	case errors.As(err, &ve):
		return ve.Error(), true
	case errors.As(err, &se):
		return se.Error(), true
	case errors.Is(err, command.ErrAllowanceExceeded):
		return err.Error(), true
	}
	return "", false
}
