package command

import (
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/emoji"
)

// Free text (a kudos message, a member's name, a reason, a customer's
// comment) is read back in web pages, chat, terminals and CSV exports.
// Some characters there are not text but instructions or nothing at all:
// terminal escapes and bells, bidi overrides that show "gpj.exe" as
// "exe.jpg", zero-width characters that make two names that look alike
// differ, private-use characters and unassigned code points that no two
// systems draw alike. The commands refuse them, naming the field, rather
// than strip them: a stripped text is not what its author wrote, and
// refusing tells them why.
//
// Allowed are letters, marks, numbers, punctuation, symbols and spaces
// (Unicode's L, M, N, P, S and Zs) but for the few of them that show
// nothing (Hangul fillers, U+FFFD); emoji sequences whole (package emoji),
// their joiners, selectors and tags included; and ZWNJ and ZWJ inside the
// words of scripts that need them (joinsWord). Texts of more than one line
// also take line feeds, CRLF, U+2028, U+2029 and tabs.

// checkLine checks a text that is one line: a name, a reason.
func checkLine(field, s string) error { return checkText(field, s, false) }

// checkLines checks a text that may run over lines: a message, a comment.
func checkLines(field, s string) error { return checkText(field, s, true) }

func checkText(field, s string, multiline bool) error {
	chars := 0 // before s[i:]
	for i := 0; i < len(s); {
		if c := s[i]; c >= ' ' && c < 0x7F && c != '#' && c != '*' && (c < '0' || c > '9') {
			// Printable ASCII that cannot start an emoji (a keycap).
			i++
			chars++
			continue
		}
		if n := emoji.Prefix(s[i:]); n > 0 {
			chars += utf8.RuneCountInString(s[i : i+n])
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		chars++
		at := chars
		switch {
		case r == utf8.RuneError && size == 1:
			return invalid(field, "is not valid UTF-8 (byte %d)", i+1)
		case r == utf8.RuneError:
			// What a decoder puts where it met bytes that were not text.
			return invalid(field, "contains U+FFFD, the replacement character, at character %d: the text was damaged on its way here", at)
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			switch {
			case !multiline:
				return invalid(field, "contains a line break at character %d; it must be one line", at)
			case r == '\r' && (i+1 == len(s) || s[i+1] != '\n'):
				// A carriage return alone sends a terminal's cursor back
				// over what the line said.
				return invalid(field, "contains a carriage return without a line feed at character %d", at)
			}
		case r == '\t':
			if !multiline {
				return invalid(field, "contains a tab at character %d; it must be one line", at)
			}
		case unicode.Is(unicode.Cc, r):
			return invalid(field, "contains the control character %U at character %d", r, at)
		case r == '\u200C' || r == '\u200D':
			if !joinsWord(s, i, size) {
				return invalid(field, "contains the invisible joiner %U at character %d; it may only join emoji, or letters in the scripts that use it", r, at)
			}
		case r == '\uFE0E' || r == '\uFE0F':
			return invalid(field, "contains the variation selector %U at character %d, which belongs after an emoji", r, at)
		case unicode.Is(unicode.Cf, r):
			return invalid(field, "contains the invisible format character %U at character %d", r, at)
		case unicode.Is(unicode.Co, r):
			return invalid(field, "contains the private-use character %U at character %d", r, at)
		case unicode.Is(unicode.Noncharacter_Code_Point, r):
			return invalid(field, "contains the noncharacter %U at character %d", r, at)
		case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			// Hangul fillers and the like: letters that show nothing.
			return invalid(field, "contains the invisible character %U at character %d", r, at)
		case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs):
			return invalid(field, "contains %U at character %d, which Unicode %s does not assign", r, at, unicode.Version)
		}
		i += size
	}
	return nil
}

// joinsWord reports whether the ZWNJ or ZWJ at s[i:i+size] sits inside a
// word of a script that shapes words with it: Persian writes می‌خواهم with
// a ZWNJ, the Indic scripts use both after a virama. In Latin, Greek and
// Cyrillic a joiner changes nothing that shows; it only makes two texts
// that look alike differ.
func joinsWord(s string, i, size int) bool {
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	if !unicode.In(next, unicode.L, unicode.M) {
		return false
	}
	for j := i; j > 0; {
		r, k := utf8.DecodeLastRuneInString(s[:j])
		j -= k
		switch {
		case unicode.Is(unicode.M, r):
			continue // the letter the marks sit on decides
		case unicode.Is(unicode.L, r):
			return !unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
		default:
			return false
		}
	}
	return false
}
