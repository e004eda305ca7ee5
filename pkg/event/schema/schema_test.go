package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/event/schema"
)

func BenchmarkCheck(b *testing.B) {
	raw := eventtest.Message(b, eventtest.Kudos())
	for b.Loop() {
		if err := schema.Check(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckNamesTheField(t *testing.T) {
	k := eventtest.Kudos()
	k.Recipients = []string{"bo", "Not An Id"}
	err := schema.Check(eventtest.Message(t, k))
	var serr *schema.Error
	if !errors.As(err, &serr) || !errors.Is(err, schema.ErrInvalid) {
		t.Fatalf("Check = %v, want a *schema.Error", err)
	}
	if serr.Type != event.TypeKudosGiven || serr.Field != "recipients[1]" || !strings.Contains(serr.Reason, "does not match pattern") {
		t.Errorf("Check = %+v, want recipients[1] named, its pattern the reason", serr)
	}
	if err := schema.Check(eventtest.Message(t, eventtest.Kudos())); err != nil {
		t.Errorf("Check of a valid kudos = %v", err)
	}
}

// TestCheckNamesTheDataFieldFirst: a bad member id breaks both the data
// and the envelope's subject made from it; the field named is the data's,
// every time, whatever order the validator finds them in.
func TestCheckNamesTheDataFieldFirst(t *testing.T) {
	raw := eventtest.Message(t, event.MemberUpserted{Member: "Bad Id", Name: "Bo", Team: "support", TimeZone: "UTC", Active: true})
	for range 50 {
		var serr *schema.Error
		if err := schema.Check(raw); !errors.As(err, &serr) || serr.Field != "member" {
			t.Fatalf("Check = %v, want the field member named", err)
		}
	}
}

// TestCheckExplains: the refusals a sender meets most are said in words,
// not in the validator's terms.
func TestCheckExplains(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*event.KudosGiven)
		field  string
		reason string
	}{
		{"too many points", func(k *event.KudosGiven) { k.Points = 101 }, "points", "must be at most 100, got 101"},
		{"no points", func(k *event.KudosGiven) { k.Points = 0 }, "points", "must be at least 1, got 0"},
		{"nobody", func(k *event.KudosGiven) { k.Recipients = []string{} }, "recipients", "needs at least 1, got 0"},
		{"twice", func(k *event.KudosGiven) { k.Recipients = []string{"bo", "bo"} }, "recipients", "lists the same item twice (at 0 and 1)"},
		{"no message", func(k *event.KudosGiven) { k.Message = "" }, "message", "must not be empty"},
		{"unknown channel", func(k *event.KudosGiven) { k.Channel = "fax" }, "channel", "value must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := eventtest.Kudos()
			tt.edit(&k)
			var serr *schema.Error
			if err := schema.Check(eventtest.Message(t, k)); !errors.As(err, &serr) || serr.Field != tt.field || !strings.HasPrefix(serr.Reason, tt.reason) {
				t.Errorf("Check = %v, want %s: %s", err, tt.field, tt.reason)
			}
		})
	}
}
