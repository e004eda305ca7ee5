package event

import (
	"regexp"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"ana", true},
		{"support-emea", true},
		{"k_0123456789ab", true},
		{"0", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"-ana", false},
		{"_ana", false},
		{"Ana", false},
		{"ana.bo", false},
		{"ana*", false},
		{"ana>", false},
		{"ana bo", false},
		{"zoë", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// FuzzValidID holds ValidID to the grammar the schemas publish for ids.
func FuzzValidID(f *testing.F) {
	grammar := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	for _, s := range []string{"ana", "-x", "a.b", strings.Repeat("z", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), grammar.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, grammar says %v", s, got, want)
		}
	})
}
