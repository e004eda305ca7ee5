package emoji_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/emoji"
)

func TestIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"thumbs up", "👍", true},
		{"party popper", "🎉", true},
		{"ZWJ sequence", "👩‍💻", true},
		{"skin tone", "👍🏽", true},
		{"ZWJ sequence with skin tones", "🧑🏻‍❤️‍💋‍🧑🏼", true},
		{"flag", "🇵🇹", true},
		{"subdivision flag", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", true},
		{"pirate flag", "🏴‍☠️", true},
		{"keycap", "1️⃣", true},
		{"keycap without VS16", "#\u20E3", true},
		{"heart with VS16", "❤️", true},
		{"heart without VS16", "❤", true},
		{"text-style arrow", "↔\uFE0E", true},
		{"skin tone alone", "🏽", true},
		{"copyright sign", "©", true},

		{"empty", "", false},
		{"letter", "a", false},
		{"word", "ok", false},
		{"digit", "1", false},
		{"hash", "#", false},
		{"two emoji", "👍👍", false},
		{"two flags", "🇵🇹🇧🇷", false},
		{"emoji and a space", "🎉 ", false},
		{"right-to-left override", "\u202E", false},
		{"emoji after a right-to-left override", "\u202E🎉", false},
		{"zero-width space", "\u200B", false},
		{"emoji and a zero-width space", "🎉\u200B", false},
		{"private use", "\uE000", false},
		{"byte order mark", "\uFEFF", false},
		{"invalid UTF-8", "\xF0\x9F\x8E", false},
		{"ZWJ alone", "\u200D", false},
		{"trailing ZWJ", "👍\u200D", false},
		{"leading ZWJ", "\u200D👍", false},
		{"ZWJ to a letter", "👍\u200Da", false},
		{"VS16 alone", "\uFE0F", false},
		{"VS16 after a letter", "a\uFE0F", false},
		{"one regional indicator", "🇵", false},
		{"three regional indicators", "🇵🇹🇪", false},
		{"skin tone after a letter", "a🏽", false},
		{"skin tone after an emoji that takes none", "🎉🏽", false},
		{"keycap on a letter", "a\uFE0F\u20E3", false},
		{"flag joined by ZWJ", "🇵🇹\u200D🇧🇷", false},
		{"tags without a cancel tag", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074", false},
		{"tags too short for a subdivision", "🏴" + tags("gb") + "\U000E007F", false},
		{"tags spelling more than a subdivision", "🏴" + tags("ignoreall") + "\U000E007F", false},
		{"upper-case tags", "🏴" + tags("GBSCT") + "\U000E007F", false},
		{"tags after another emoji", "🎉" + tags("gbsct") + "\U000E007F", false},
		{"tags alone", tags("gbsct") + "\U000E007F", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := emoji.Is(tt.s); got != tt.want {
				t.Errorf("Is(%+q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

// tags spells s in tag characters: 'a' is U+E0061.
func tags(s string) string {
	return strings.Map(func(r rune) rune { return 0xE0000 + r }, s)
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want string
	}{
		{"👍🏽!", "👍🏽"},
		{"👩‍💻 at work", "👩‍💻"},
		{"🇵🇹🇧🇷", "🇵🇹"},
		{"👍\u200D", "👍"},
		{"👍\u200D\u200D👍", "👍"},
		{"1️⃣2", "1️⃣"},
		{"12", ""},
		{"a👍", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := emoji.Prefix(tt.s); got != len(tt.want) {
			t.Errorf("Prefix(%+q) = %d, want %d (%+q)", tt.s, got, len(tt.want), tt.want)
		}
	}
}

// TestUnicodeEmojiTestData: every emoji of Unicode's emoji-test.txt is
// one emoji, with or without its U+FE0F (the minimally-qualified and
// unqualified forms), and two of them are not.
func TestUnicodeEmojiTestData(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/emoji-test.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, cp := range strings.Fields(line) {
			r, err := strconv.ParseUint(cp, 16, 32)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			b.WriteRune(rune(r))
		}
		s := b.String()
		bare := strings.ReplaceAll(s, "\uFE0F", "")
		for _, form := range []string{s, bare} {
			if !emoji.Is(form) {
				t.Errorf("Is(%s %+q) = false, want true", line, form)
			}
			if emoji.Is(form + form) {
				t.Errorf("Is(%+q) = true for two of them", form+form)
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3600 {
		t.Fatalf("only %d emoji in testdata/emoji-test.txt", n)
	}
}

func FuzzPrefix(f *testing.F) {
	for _, s := range []string{"👍", "👩‍💻!", "🇵🇹🇵", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "a\u200D", "\xF0\x9F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := emoji.Prefix(s)
		if n < 0 || n > len(s) {
			t.Fatalf("Prefix(%+q) = %d, outside 0..%d", s, n, len(s))
		}
		if n == 0 {
			return
		}
		if !emoji.Is(s[:n]) {
			t.Errorf("Prefix(%+q) = %d, but Is(%+q) = false", s, n, s[:n])
		}
		if !utf8.ValidString(s[:n]) {
			t.Errorf("Prefix(%+q) = %d takes invalid UTF-8", s, n)
		}
	})
}
