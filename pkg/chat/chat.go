// Package chat is what Plaudit's chat integrations (package slack and
// package teams) share: the words they answer people with (a refusal in
// the API's words, what is left of an allowance, lists and counts), the
// give that survives a deadline, which events they may deliver, the
// inbound request's body and problems, and the tenants' sealed settings
// in a key-value bucket.
//
// It is not a chat framework: each integration speaks its platform's
// protocol itself, and decides nothing the write side decides.
package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// TryAgain is the answer to a command the engine could not decide (the
// store did not answer in time): safe to send again.
const TryAgain = "Plaudit could not record this just now; please try again in a moment."

// Left says what is left of an allowance, and when it resets: "You have 3
// of 5 points left today (resets Mon 7 Dec 00:00 UTC)."
func Left(a command.Allowance) string {
	when := "this period"
	switch {
	case strings.HasPrefix(a.Period, event.PeriodDay+":"):
		when = "today"
	case strings.HasPrefix(a.Period, event.PeriodWeek+":"):
		when = "this week"
	case strings.HasPrefix(a.Period, event.PeriodMonth+":"):
		when = "this month"
	}
	s := fmt.Sprintf("You have %d of %s left %s", a.Remaining, Count(a.Limit, "point"), when)
	if !a.ResetsAt.IsZero() {
		s += " (resets " + a.ResetsAt.Format("Mon 2 Jan 15:04 MST") + ")"
	}
	return s + "."
}

// Count is n of word, plural when n is not 1: "1 point", "2 points".
func Count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// And lists items as a sentence does: "a", "a and b", "a, b and c".
func And(items []string) string { return list(items, " and ") }

// Or lists items as alternatives: "a", "a or b", "a, b or c".
func Or(items []string) string { return list(items, " or ") }

func list(items []string, last string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}

// detachedFor bounds the reads an answer makes after its request's own
// deadline passed.
const detachedFor = 2 * time.Second
