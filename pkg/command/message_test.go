package command_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

func TestCheckMessage(t *testing.T) {
	t.Parallel()
	defaults := event.DefaultPolicy().MessageRules
	lenient := event.MessageRules{MinLength: 1, RejectGeneric: true}
	anything := event.MessageRules{MinLength: 20, RejectGeneric: false}
	specific := "Thanks for taking the escalated refund call and keeping the customer calm"

	tests := []struct {
		name  string
		msg   string
		rules event.MessageRules
		// want is "" to accept, or a word the rejection's reason must hold.
		want string
	}{
		{name: "specific", msg: specific, rules: defaults},
		{name: "specific, padded", msg: "  \n" + specific + "\t ", rules: defaults},
		{name: "two specific words suffice", msg: "Great job fixing the invoices!", rules: defaults},
		{name: "non-latin specific", msg: "Спасибо за помощь с миграцией базы данных", rules: defaults},
		{name: "empty", msg: "", rules: defaults, want: "required"},
		{name: "whitespace only", msg: " \t\n  ", rules: defaults, want: "required"},
		{name: "too short", msg: "Fixed the build!", rules: defaults, want: "at least 20"},
		{name: "one under the minimum", msg: strings.Repeat("x", 18) + " y", rules: event.MessageRules{MinLength: 21, RejectGeneric: true}, want: "at least 21"},
		{name: "at the minimum", msg: "Fixed the build fast", rules: event.MessageRules{MinLength: 20, RejectGeneric: true}},
		{name: "minimum counts characters, not bytes", msg: "Café résumé ölçümü", rules: event.MessageRules{MinLength: 19, RejectGeneric: true}, want: "at least 19"},
		{name: "higher minimum from rules", msg: "Thanks for the refund call", rules: event.MessageRules{MinLength: 40, RejectGeneric: true}, want: "at least 40"},
		{name: "lower minimum from rules", msg: "Fixed the build", rules: event.MessageRules{MinLength: 5, RejectGeneric: true}},
		// The most a message may hold is the kudos_given schema's rule
		// (TestGiveKudosValidation), not the tenant's.
		{name: "longer than a kudos takes", msg: specific + strings.Repeat(" refund", 300), rules: defaults},
		{name: "great job, thanks so much", msg: "Great job, thanks so much everyone!!!", rules: defaults, want: "generic"},
		{name: "thank you so much", msg: "Thank you so much, awesome work, keep it up!", rules: defaults, want: "generic"},
		{name: "thanks!", msg: "thanks!", rules: lenient, want: "generic"},
		{name: "thanks! is too short first", msg: "thanks!", rules: defaults, want: "at least"},
		{name: "shouting", msg: "AMAZING WORK!!! YOU ROCK!!! THANK YOU!!!", rules: defaults, want: "generic"},
		{name: "long but generic", msg: strings.Repeat("great job thanks ", 20), rules: defaults, want: "generic"},
		{name: "one specific word is not enough", msg: "Thanks so much, you are a legend, yesterday!", rules: defaults, want: "generic"},
		{name: "generic allowed when the tenant says so", msg: "Great job, thanks so much everyone!!!", rules: anything},
		{name: "generic allowed, still too short", msg: "thanks!", rules: anything, want: "at least"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := command.CheckMessage(tt.msg, tt.rules)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckMessage(%q) = %v, want accepted", tt.msg, err)
				}
				return
			}
			var ve *command.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("CheckMessage(%q) = %v, want a *ValidationError", tt.msg, err)
			}
			if ve.Field != "message" {
				t.Errorf("Field = %q, want message", ve.Field)
			}
			if !strings.Contains(ve.Reason, tt.want) {
				t.Errorf("Reason = %q, want it to mention %q", ve.Reason, tt.want)
			}
		})
	}
}

// FuzzCheckMessage: whatever the text, CheckMessage does not panic, and a
// message it accepts is, once trimmed as GiveKudos stores it, UTF-8 whose
// only control characters are line feeds, tabs and the carriage returns of
// CRLF.
func FuzzCheckMessage(f *testing.F) {
	for _, s := range []string{
		"Thanks for fixing the build 👩‍💻 today", "a\r\nb\tc", "می\u200Cخواهم", "क्\u200Dष",
		"\u202Eexe.jpg", "\x1b[31m", "👍\u200D", "\u200D", "🏴\U000E0067", "\xff",
	} {
		f.Add(s)
	}
	rules := event.MessageRules{MinLength: 1}
	f.Fuzz(func(t *testing.T, msg string) {
		if command.CheckMessage(msg, rules) != nil {
			return
		}
		msg = strings.TrimSpace(msg)
		if !utf8.ValidString(msg) {
			t.Fatalf("accepted %+q, which is not UTF-8", msg)
		}
		for i, r := range msg {
			if unicode.IsControl(r) && r != '\n' && r != '\t' && !(r == '\r' && strings.HasPrefix(msg[i:], "\r\n")) {
				t.Fatalf("accepted %+q, with %U", msg, r)
			}
		}
	})
}
