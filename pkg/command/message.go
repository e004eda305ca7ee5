package command

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
)

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

// CheckMessage applies the tenant's message rules to a message, as it is
// stored (trimmed): text without control, invisible, private-use or
// unassigned characters (lines and emoji are fine), long enough to be
// specific, not only generic praise. How long a message may be at most is
// the kudos_given schema's to say.
func CheckMessage(msg string, rules event.MessageRules) error {
	msg = strings.TrimSpace(msg)
	if err := checkLines("message", msg); err != nil {
		return err
	}
	n := utf8.RuneCountInString(msg)
	switch {
	case n == 0:
		// The tenant's minimum is at least 1: this is that rule, said
		// for a message left out.
		return invalid("message", "is required: say what the person did and why it mattered")
	case n < rules.MinLength:
		return breaks(RuleShortMessage, "message", "is %d characters long; be specific about what they did (at least %d characters)", n, rules.MinLength)
	}
	if rules.RejectGeneric && isGeneric(msg) {
		return breaks(RuleGenericMessage, "message", "is generic praise only; say what they did and why it mattered")
	}
	return nil
}

// isGeneric reports whether msg has fewer than two distinct words that are
// neither generic praise nor filler. It runs on every give, so it walks the
// message in place rather than splitting and lower-casing copies of it.
func isGeneric(msg string) bool {
	var (
		first string
		buf   [64]byte
	)
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		if !wordRune(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(msg) {
			r, size := utf8.DecodeRuneInString(msg[j:])
			if !wordRune(r) {
				break
			}
			j += size
		}
		w := lower(strings.Trim(msg[i:j], "'"), buf[:0])
		i = j
		if len(w) == 0 || generic[string(w)] || filler[string(w)] {
			continue
		}
		switch {
		case first == "":
			first = string(w)
		case string(w) != first:
			return false
		}
	}
	return true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' }

// lower appends w in lower case to buf, without allocating when w is ASCII
// and fits.
func lower(w string, buf []byte) []byte {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return append(buf[:0], strings.ToLower(w)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}
