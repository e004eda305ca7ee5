package command

import (
	"errors"
	"fmt"
	"testing"

	"github.com/plaudit/plaudit/pkg/event"
)

// TestRefusal: every refusal of the write side is named by the rule it
// broke, wrapped or not, and what is no refusal of this package by "".
func TestRefusal(t *testing.T) {
	t.Parallel()
	rules := event.MessageRules{MinLength: 20, RejectGeneric: true}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"overspend", &AllowanceError{Requested: 5, Limit: 3}, RuleAllowance},
		{"generic praise", CheckMessage("great job", event.MessageRules{MinLength: 1, RejectGeneric: true}), RuleGenericMessage},
		{"too short", CheckMessage("thanks for the fix", rules), RuleShortMessage},
		{"no message", CheckMessage("", rules), RuleValidation},
		{"malformed input", invalid("points", "must be positive"), RuleValidation},
		{"wrapped", fmt.Errorf("give: %w", breaks(RuleSelf, "to", "includes the giver")), RuleSelf},
		{"not found", refuse(ErrNotFound, "id", "no kudos"), RuleNotFound},
		{"forbidden", refuse(ErrForbidden, "id", "not yours"), RuleForbidden},
		{"state conflict", refuse(ErrConflict, "id", "already retracted"), RuleConflict},
		{"retries exhausted", exhausted("from", "giver is busy; retry"), RuleRetryExhausted},
		{"store unavailable", fmt.Errorf("command: %w", ErrUnavailable), RuleUnavailable},
		{"another error", errors.New("disk on fire"), ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Refusal(tt.err); got != tt.want {
				t.Errorf("Refusal(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	// A refusal for exhausted retries is still a conflict to callers that
	// branch on the kind.
	if err := exhausted("from", "busy"); !errors.Is(err, ErrConflict) {
		t.Errorf("%v does not match ErrConflict", err)
	}
}
