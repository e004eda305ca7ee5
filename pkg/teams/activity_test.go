package teams

import (
	"reflect"
	"testing"
)

// TestParseGive: the webhook's own mention is dropped; leading mentions,
// points and tags are read in any order; the rest is the message, markup
// gone.
func TestParseGive(t *testing.T) {
	t.Parallel()
	bo := Entity{Type: "mention", Text: "<at>Bo Berg</at>", Mentioned: Account{ID: "29:bo", Name: "Bo Berg"}}
	cy := Entity{Type: "mention", Text: "<at>Cy Chen</at>", Mentioned: Account{ID: "29:cy", Name: "Cy Chen", AADObjectID: "C0FFEE00-0000-4000-8000-000000000001"}}
	bot := Entity{Type: "mention", Text: "<at>Plaudit</at>", Mentioned: Account{ID: "28:bot", Name: "Plaudit"}}
	tests := []struct {
		name     string
		text     string
		entities []Entity
		want     parsed
	}{
		{
			name:     "the issue's example",
			text:     "<at>Plaudit</at> <at>Bo Berg</at> <at>Cy Chen</at> +2 #ownership for staying on the outage bridge until it closed",
			entities: []Entity{bot, bo, cy},
			want: parsed{Mentions: []mention{{name: "Bo Berg"}, {name: "Cy Chen", aad: "c0ffee00-0000-4000-8000-000000000001"}},
				Points: 2, Values: []string{"ownership"}, Message: "for staying on the outage bridge until it closed"},
		},
		{
			name:     "HTML as Teams sends it",
			text:     "<p><at>Plaudit</at>&nbsp;<at>Bo Berg</at>&nbsp;#Ownership, #kindness +3 for the customer&#39;s refund &amp; the apology<br></p>\n",
			entities: []Entity{bot, bo},
			want: parsed{Mentions: []mention{{name: "Bo Berg"}}, Points: 3, Values: []string{"ownership", "kindness"},
				Message: "for the customer's refund & the apology"},
		},
		{
			name:     "no points: 0, the default is the caller's",
			text:     "<at>Plaudit</at> <at>Bo Berg</at> thanks for pairing on the flaky deploy pipeline all afternoon",
			entities: []Entity{bot, bo},
			want:     parsed{Mentions: []mention{{name: "Bo Berg"}}, Message: "thanks for pairing on the flaky deploy pipeline all afternoon"},
		},
		{
			name:     "a mention in the message reads as the name",
			text:     "<at>Plaudit</at> <at>Bo Berg</at> for covering <at>Cy Chen</at>'s queue +2 #1",
			entities: []Entity{bot, bo, cy},
			want:     parsed{Mentions: []mention{{name: "Bo Berg"}}, Message: "for covering Cy Chen's queue +2 #1"},
		},
		{
			name:     "a second +N is the message's",
			text:     "<at>Plaudit</at> +1 <at>Bo Berg</at> +5 stars for that call",
			entities: []Entity{bot, bo},
			want:     parsed{Mentions: []mention{{name: "Bo Berg"}}, Points: 1, Message: "+5 stars for that call"},
		},
		{
			name:     "+0 is no points",
			text:     "<at>Plaudit</at> <at>Bo Berg</at> +0 for nothing much",
			entities: []Entity{bot, bo},
			want:     parsed{Mentions: []mention{{name: "Bo Berg"}}, Message: "+0 for nothing much"},
		},
		{
			name:     "a mention without an entity keeps its markup's name",
			text:     "<at>Plaudit</at> <at>Dee  Doe</at> for the runbook",
			entities: []Entity{bot},
			want:     parsed{Mentions: []mention{{name: "Dee Doe"}}, Message: "for the runbook"},
		},
		{
			name: "no mention but the webhook's",
			text: "<at>Plaudit</at> great job",
			want: parsed{Message: "great job"},
		},
		{
			name: "unclosed markup is text",
			text: "<at>Plaudit</at> <at>Bo for the runbook",
			want: parsed{Message: "Bo for the runbook"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parseGive(tt.text, tt.entities)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseGive(%q)\n got %+v\nwant %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseActivity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"a message", `{"type":"message","id":"1","conversation":{"id":"19:x"},"text":"hi"}`, true},
		{"not JSON", `{"type":`, false},
		{"not a message", `{"type":"conversationUpdate","id":"1","conversation":{"id":"19:x"}}`, false},
		{"no id", `{"type":"message","conversation":{"id":"19:x"}}`, false},
		{"no conversation", `{"type":"message","id":"1"}`, false},
		{"a field of the wrong type", `{"type":"message","id":1,"conversation":{"id":"19:x"}}`, false},
	}
	for _, tt := range tests {
		if _, err := ParseActivity([]byte(tt.body)); (err == nil) != tt.ok {
			t.Errorf("%s: ParseActivity = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// FuzzParseActivity: whatever a signed sender posts, reading it neither
// panics nor yields a mention without a name.
func FuzzParseActivity(f *testing.F) {
	f.Add([]byte(`{"type":"message","id":"1","conversation":{"id":"19:x"},"text":"<at>Plaudit</at> <at>Bo</at> +2 #ownership for it","entities":[{"type":"mention","text":"<at>Bo</at>","mentioned":{"id":"29:1","name":"Bo"}}]}`))
	f.Add([]byte(`{"type":"message","id":"1","conversation":{"id":"19:x"},"text":"<at></at><at><at>x</at></at>&amp;<p>"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseActivity(body)
		if err != nil {
			return
		}
		g := parseGive(a.Text, a.Entities)
		if g.Points < 0 || g.Points > 999 {
			t.Errorf("points %d", g.Points)
		}
	})
}
