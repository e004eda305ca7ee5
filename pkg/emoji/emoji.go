// Package emoji tells emoji from other text by Unicode's emoji data
// (UTS #51, https://www.unicode.org/reports/tr51), which Go's unicode
// package does not carry. It checks the form of an emoji sequence, as the
// standard defines it, against the emoji properties of its characters; it
// does not check that a sequence is one that vendors draw (the RGI list),
// so a well-formed ZWJ sequence of two emoji that no font joins still
// counts as one emoji, drawn as two.
//
// The tables are generated from emoji-data.txt (see gen.go); the build
// needs no Unicode files.
package emoji

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate go run gen.go -dir /usr/share/unicode/emoji

const (
	zwj        = "\u200D"
	textStyle  = '\uFE0E' // VS15: show the character as text
	emojiStyle = '\uFE0F' // VS16: show the character as an emoji
	keycap     = "\u20E3"
	blackFlag  = '\U0001F3F4'
	cancelTag  = '\U000E007F'
)

// Is reports whether s is exactly one emoji: an emoji character, with a
// presentation selector or a skin tone if it has one; a keycap such as
// 1️⃣; a flag made of two regional indicators; a subdivision flag (black
// flag, tag letters, cancel tag); or such emoji joined by U+200D ZERO
// WIDTH JOINER, as in 👩‍💻.
func Is(s string) bool {
	n := Prefix(s)
	return n > 0 && n == len(s)
}

// Prefix returns the length in bytes of the emoji s starts with, or 0 when
// it does not start with one. It takes the longest emoji it can: for
// "👍🏽!" it returns the length of "👍🏽". Text scanners use it to step over
// an emoji whose joiners and selectors they would otherwise refuse.
func Prefix(s string) int {
	n, joins := element(s)
	if n == 0 {
		return 0
	}
	for joins && strings.HasPrefix(s[n:], zwj) {
		m, ok := element(s[n+len(zwj):])
		if m == 0 || !ok {
			break
		}
		n += len(zwj) + m
	}
	return n
}

// element returns the length of the emoji element s starts with (0 for
// none), and whether a ZWJ may join it to the next: an emoji character,
// on its own, with U+FE0F or with a skin tone may be joined (UTS #51,
// ED-15a); flags and keycaps may not.
func element(s string) (n int, joins bool) {
	if s == "" {
		return 0, false
	}
	if c := s[0]; c < utf8.RuneSelf {
		// The ASCII emoji characters are keycap bases only: "1" is a digit.
		if c != '#' && c != '*' && (c < '0' || c > '9') {
			return 0, false
		}
		rest := s[1:]
		if strings.HasPrefix(rest, string(emojiStyle)) {
			rest = rest[len(string(emojiStyle)):]
		}
		if !strings.HasPrefix(rest, keycap) {
			return 0, false
		}
		return len(s) - len(rest) + len(keycap), false
	}
	r, n := utf8.DecodeRuneInString(s)
	if unicode.Is(unicode.Regional_Indicator, r) {
		// A flag is a pair; one regional indicator alone is a letter in a
		// box, not an emoji.
		if next, m := utf8.DecodeRuneInString(s[n:]); unicode.Is(unicode.Regional_Indicator, next) {
			return n + m, false
		}
		return 0, false
	}
	if !unicode.Is(emojiChars, r) {
		return 0, false
	}
	next, m := utf8.DecodeRuneInString(s[n:])
	switch {
	case next == emojiStyle:
		return n + m, true
	case next == textStyle:
		return n + m, false
	case unicode.Is(modifiers, next) && unicode.Is(modifierBases, r):
		return n + m, true
	case r == blackFlag:
		if k := subdivision(s[n:]); k > 0 {
			return n + k, false
		}
	}
	return n, true
}

// subdivision returns the length of the tags s starts with that name a
// subdivision, as in 🏴󠁧󠁢󠁳󠁣󠁴󠁿 (gbsct), through the cancel tag; 0 if it does
// not start with such tags. A subdivision id is 3 to 7 lower-case letters
// and digits (UTS #51, Annex C); a longer run of tags would be hidden
// text, not a flag.
func subdivision(s string) int {
	n := 0
	for tags := 0; ; tags++ {
		r, m := utf8.DecodeRuneInString(s[n:])
		switch {
		case r == cancelTag:
			if tags < 3 {
				return 0
			}
			return n + m
		case tags == 7:
			return 0
		case '\U000E0030' <= r && r <= '\U000E0039', '\U000E0061' <= r && r <= '\U000E007A':
			n += m
		default:
			return 0
		}
	}
}
