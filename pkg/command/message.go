package command

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
)

// MaxMessageLen bounds a kudos message, in characters.
const MaxMessageLen = 2000

// generic holds words that praise without saying what for. A message made
// only of these (and filler words) is generic, whatever its length.
var generic = setOf(
	"great", "good", "nice", "awesome", "amazing", "excellent", "fantastic",
	"brilliant", "super", "superb", "wonderful", "outstanding", "incredible",
	"perfect", "cool", "epic", "stellar", "terrific", "fabulous", "legend",
	"job", "work", "done", "well", "effort", "stuff", "rock", "rocks", "star",
	"thanks", "thank", "thx", "ty", "cheers", "kudos", "congrats",
	"congratulations", "bravo", "wow", "yay", "appreciate", "appreciated",
	"best", "keep", "up", "it", "hero", "mvp", "champ", "props",
)

// filler words carry no specifics either.
var filler = setOf(
	"a", "an", "the", "you", "your", "you're", "youre", "u", "so", "very",
	"much", "really", "for", "all", "everything", "again", "as", "always",
	"of", "to", "and", "guys", "team", "everyone", "folks", "once", "more",
	"are", "is", "the", "this", "that", "on", "one", "lot", "lots", "today",
	"just", "truly", "such", "what", "i", "we", "our", "my", "me", "us",
	"too", "x", "hey", "hi",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// CheckMessage applies the tenant's message rules: long enough to be
// specific, not only generic praise, not too long.
func CheckMessage(msg string, rules event.MessageRules) error {
	msg = strings.TrimSpace(msg)
	n := utf8.RuneCountInString(msg)
	switch {
	case n == 0:
		return invalid("message", "is required: say what the person did and why it mattered")
	case n > MaxMessageLen:
		return invalid("message", "is %d characters long; the limit is %d", n, MaxMessageLen)
	case n < rules.MinLength:
		return invalid("message", "is %d characters long; be specific about what they did (at least %d characters)", n, rules.MinLength)
	}
	if rules.RejectGeneric && isGeneric(msg) {
		return invalid("message", "is generic praise only; say what they did and why it mattered")
	}
	return nil
}

// isGeneric reports whether msg has fewer than two words that are neither
// generic praise nor filler.
func isGeneric(msg string) bool {
	words := strings.FieldsFunc(strings.ToLower(msg), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	specific := map[string]bool{}
	for _, w := range words {
		w = strings.Trim(w, "'")
		if w == "" || generic[w] || filler[w] {
			continue
		}
		specific[w] = true
		if len(specific) >= 2 {
			return false
		}
	}
	return true
}
