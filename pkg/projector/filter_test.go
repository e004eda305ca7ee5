package projector

import (
	"testing"
)

func TestSubjectFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter, subject string
		want            bool
	}{
		{"plaudit.*.kudos.>", "plaudit.acme.kudos.ana.given", true},
		{"plaudit.*.kudos.>", "plaudit.acme.kudos", false},
		{"plaudit.*.kudos.>", "plaudit.acme.reaction.x.ana.added", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.given", true},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.retracted", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.given.x", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.given", false},
		{"plaudit.*.policy.set", "plaudit.acme.policy.set", true},
		{"plaudit.>", "plaudit.a", true},
		{"plaudit.>", "plaudit", false},
		{">", "anything.at.all", true},
		{"*", "one", true},
		{"*", "one.two", false},
		{"plaudit.acme.>", "plaudit.acmex.kudos.ana.given", false},
	}
	for _, tt := range tests {
		if got := (subjectFilter{tt.filter}).match(tt.subject); got != tt.want {
			t.Errorf("%q matches %q: %v, want %v", tt.filter, tt.subject, got, tt.want)
		}
	}
	if (subjectFilter{}).match("plaudit.acme.kudos.ana.given") {
		t.Error("no filters match a subject")
	}
	if !(subjectFilter{"plaudit.*.member.>", "plaudit.*.kudos.>"}).match("plaudit.acme.kudos.ana.given") {
		t.Error("the second filter does not match")
	}
}
