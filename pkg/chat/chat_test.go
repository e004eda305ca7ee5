package chat_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
)

func TestLeft(t *testing.T) {
	t.Parallel()
	resets := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		a    command.Allowance
		want string
	}{
		{command.Allowance{Period: "day:2026-12-06", Limit: 5, Remaining: 3, ResetsAt: resets}, "You have 3 of 5 points left today (resets Mon 7 Dec 00:00 UTC)."},
		{command.Allowance{Period: "week:2026-W49", Limit: 1, Remaining: 0, ResetsAt: resets}, "You have 0 of 1 point left this week (resets Mon 7 Dec 00:00 UTC)."},
		{command.Allowance{Period: "month:2026-12", Limit: 20, Remaining: 20, ResetsAt: resets}, "You have 20 of 20 points left this month (resets Mon 7 Dec 00:00 UTC)."},
		{command.Allowance{Period: "x", Limit: 2, Remaining: 1}, "You have 1 of 2 points left this period."},
	}
	for _, tt := range tests {
		if got := chat.Left(tt.a); got != tt.want {
			t.Errorf("Left(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{chat.Count(1, "point"), "1 point"},
		{chat.Count(0, "point"), "0 points"},
		{chat.Count(2, "point"), "2 points"},
		{chat.And(nil), ""},
		{chat.And([]string{"a"}), "a"},
		{chat.And([]string{"a", "b"}), "a and b"},
		{chat.And([]string{"a", "b", "c"}), "a, b and c"},
		{chat.Or([]string{"a", "b", "c"}), "a, b or c"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err     error
		want    string
		refused bool
	}{
		{fmt.Errorf("give: %w", &command.ValidationError{Field: "message", Reason: "is empty"}), "message: is empty", true},
		{&command.StateError{Kind: command.ErrForbidden, Field: "id", Reason: "not yours"}, "id: not yours", true},
		{&command.AllowanceError{Requested: 6, Limit: 5, Remaining: 5}, "allowance: 6 points requested, 5 of 5 left this period", true},
		{fmt.Errorf("%w: no answer", command.ErrUnavailable), "", false},
		{errors.New("boom"), "", false},
	}
	for _, tt := range tests {
		got, refused := chat.Refusal(tt.err)
		if refused != tt.refused || (refused && len(got) < len(tt.want)) || got[:min(len(got), len(tt.want))] != tt.want {
			t.Errorf("Refusal(%v) = %q, %v; want %q…, %v", tt.err, got, refused, tt.want, tt.refused)
		}
	}
}
