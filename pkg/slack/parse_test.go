package slack

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseKudos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       kudosText
		err        bool
	}{
		{"the issue's example", "<@U024BE7LH|bo> <@U0CYCYCY|cy> +2 #ownership for staying on the outage bridge until it closed",
			kudosText{users: []string{"U024BE7LH", "U0CYCYCY"}, points: 2, values: []string{"ownership"}, message: "for staying on the outage bridge until it closed"}, false},
		{"mentions without names, tags in any order", "#Craft <@W012A3CDE> #ownership +3 <@U024BE7LH> thanks for the deploy script",
			kudosText{users: []string{"W012A3CDE", "U024BE7LH"}, points: 3, values: []string{"craft", "ownership"}, message: "thanks for the deploy script"}, false},
		{"a tag named like a channel", "<@U024BE7LH> <#C024BE91L|ownership> for the runbook",
			kudosText{users: []string{"U024BE7LH"}, points: 1, values: []string{"ownership"}, message: "for the runbook"}, false},
		{"escapes in the message", "<@U024BE7LH>\tfor pairing with <@U0CYCYCY|cy> in <#C024BE91L|incidents> on <https://x.example/pr/1|the fix> &amp; more",
			kudosText{users: []string{"U024BE7LH"}, points: 1, message: "for pairing with @cy in #incidents on the fix & more"}, false},
		{"the same person twice", "<@U024BE7LH> <@U024BE7LH|bo> for the runbook",
			kudosText{users: []string{"U024BE7LH"}, points: 1, message: "for the runbook"}, false},
		{"points later are the message's", "<@U024BE7LH> +2 +3 for the runbook",
			kudosText{users: []string{"U024BE7LH"}, points: 2, message: "+3 for the runbook"}, false},
		{"nobody", "+2 for the runbook", kudosText{}, true},
		{"empty", "   ", kudosText{}, true},
		{"points not a number", "<@U024BE7LH> +many for the runbook", kudosText{}, true},
		{"points zero", "<@U024BE7LH> +0 for the runbook", kudosText{}, true},
		{"too many points", "<@U024BE7LH> +101 for the runbook", kudosText{}, true},
		{"an unescaped mention is the message", "@bo for the runbook", kudosText{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKudos(tt.text)
			if (err != nil) != tt.err {
				t.Fatalf("err %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if !slices.Equal(got.users, tt.want.users) || got.points != tt.want.points || !slices.Equal(got.values, tt.want.values) || got.message != tt.want.message {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Deploy is done\n\n:rocket: <@U1|ana>  said", "Deploy is done :rocket: @ana said"},
		{"zero\u200bwidth and \ufe0fselector", "zerowidth and selector"},
		{strings.Repeat("é", 300), strings.Repeat("é", 279) + "…"},
	}
	for _, tt := range tests {
		if got := quote(tt.in, 280); got != tt.want {
			t.Errorf("quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseKudos: whatever Slack sends as a command's text, it is read
// without panicking into mentions of user ids, points in range, and
// valid UTF-8 when it was.
func FuzzParseKudos(f *testing.F) {
	f.Add("<@U024BE7LH|bo> <@U0CYCYCY> +2 #ownership for staying on the outage bridge until it closed")
	f.Add("<#C024BE91L|ownership> <!here> <https://x|y> &amp;")
	f.Add("+1 +2 #a #b <@U1")
	f.Fuzz(func(t *testing.T, text string) {
		k, err := parseKudos(text)
		if err != nil {
			return
		}
		if len(k.users) == 0 || k.points < 1 || k.points > maxPoints {
			t.Fatalf("parsed %+v", k)
		}
		for _, u := range k.users {
			if !userRef.MatchString("<@" + u + ">") {
				t.Fatalf("user %q", u)
			}
		}
		if utf8.ValidString(text) && !utf8.ValidString(k.message) {
			t.Fatalf("message %q not UTF-8", k.message)
		}
	})
}
