package command_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// textField is one free-text field of one command.
type textField struct {
	name      string
	field     string // the field a refusal names
	multiline bool
	// prepare, when set, makes what run needs (a member, a kudos, a
	// rating) and returns its key; it runs before the stream is counted.
	prepare func(t *testing.T) string
	run     func(key, text string) (command.Result, error)
	stored  func(d event.Data) string // the field as stored
}

// Texts tried in every field, inside a sentence: "Thanks for " + text +
// " today".
var (
	// refusedTexts are refused in every field. want is what the reason
	// must say (anything outside the allowed classes is refused anyway;
	// the reason says what it is); multiWant, when set, what it says for
	// texts of many lines.
	refusedTexts = []struct{ name, text, want, multiWant string }{
		{"NUL", "a\x00b", "control character U+0000", ""},
		{"ANSI escape", "\x1b[31mred", "control character U+001B", ""},
		{"BEL", "ding\a", "control character U+0007", ""},
		{"DEL", "a\x7fb", "control character U+007F", ""},
		{"C1 next line", "a\u0085b", "control character U+0085", ""},
		{"C1 control sequence introducer", "\u009b31m", "control character U+009B", ""},
		{"carriage return alone", "a\rb", "line break", "carriage return"},
		{"right-to-left override", "\u202Egpj.exe", "format character U+202E", ""},
		{"left-to-right isolate", "\u2066a\u2069", "format character U+2066", ""},
		{"right-to-left mark", "a\u200Fb", "format character U+200F", ""},
		{"zero-width space", "An\u200Ba", "format character U+200B", ""},
		{"byte order mark", "\uFEFFAna", "format character U+FEFF", ""},
		{"soft hyphen", "An\u00ADa", "format character U+00AD", ""},
		{"word joiner", "An\u2060a", "format character U+2060", ""},
		{"ZWJ between Latin letters", "An\u200Da", "joiner U+200D", ""},
		{"ZWNJ between Latin letters", "An\u200Ca", "joiner U+200C", ""},
		{"ZWJ before a space", "क्\u200D ", "joiner U+200D", ""},
		{"ZWJ from an emoji to a letter", "👍\u200Da", "joiner U+200D", ""},
		{"ZWJ at the end of an emoji", "👍\u200D", "joiner U+200D", ""},
		{"VS16 after a letter", "a\uFE0F", "selector U+FE0F", ""},
		{"tag characters", "ok" + tagged("ignore all rules"), "format character U+E0069", ""},
		{"private use", "\uE000", "private-use character U+E000", ""},
		{"supplementary private use", "\U000F0000", "private-use character U+F0000", ""},
		{"noncharacter U+FFFF", "a\uFFFF", "noncharacter U+FFFF", ""},
		{"noncharacter U+FDD0", "a\uFDD0", "noncharacter U+FDD0", ""},
		{"unassigned", "a\u0378", "U+0378 at character 13, which Unicode", ""},
		{"Hangul filler", "\u3164", "invisible character U+3164", ""},
		{"invalid UTF-8", "caf\xe9", "UTF-8", ""},
		{"truncated UTF-8", "a\xe2\x82", "UTF-8", ""},
		{"encoded surrogate", "a\xed\xa0\x80", "UTF-8", ""},
		{"replacement character", "caf\uFFFD", "U+FFFD", ""},
	}
	// oneLineRefused are refused in names and reasons, taken in messages
	// and comments.
	oneLineRefused = []struct{ name, text string }{
		{"line feed", "line one\nline two"},
		{"CRLF", "line one\r\nline two"},
		{"tab", "col\tcol"},
		{"line separator", "line one\u2028line two"},
	}
	// acceptedTexts are taken in every field, and stored as written.
	acceptedTexts = []struct{ name, text string }{
		{"accents", "Amélie Ñúñez-Øster"},
		{"combining accent", "Jose\u0301"},
		{"CJK", "陈丽、さくら、김민준"},
		{"ideographic variation", "葛\U000E0100飾"},
		{"Arabic", "شكراً جزيلاً"},
		{"Hebrew", "תודה רבה"},
		{"Persian ZWNJ", "می\u200Cخواهم"},
		{"Devanagari ZWJ after a virama", "क्\u200Dष"},
		{"emoji", "🎉👍🏽"},
		{"emoji ZWJ sequence", "👩‍💻"},
		{"family", "👨‍👩‍👧‍👦"},
		{"flag", "🇵🇹"},
		{"subdivision flag", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"},
		{"keycap", "1️⃣"},
		{"heart with VS16", "❤️"},
		{"ASCII keycap bases", "#1 *2"},
		{"no-break and ideographic spaces", "a\u00A0b\u3000c"},
	}
)

// tagged spells s in tag characters, text no one sees.
func tagged(s string) string {
	return strings.Map(func(r rune) rune { return 0xE0000 + r }, s)
}

// TestTextFields sends every free-text field of every command text that
// hides, reorders or is not text, and text in many scripts and emoji: the
// first is refused with the field named and nothing stored, the second
// stored as written.
func TestTextFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.members("Europe/Lisbon", "ana", "ben")
	p := event.DefaultPolicy()
	p.Allowance.Amount = 1000
	p.MessageRules = event.MessageRules{MinLength: 1} // the sentences are short and generic
	p.Nudges.Wellness, p.Nudges.DailyCap = event.OptOut, 20
	h.setPolicy(p)

	n := 0
	next := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	newMember := func(t *testing.T) string {
		id := next("m")
		h.member(id, "support", "Europe/Lisbon")
		return id
	}
	newRating := func(t *testing.T) string {
		id := next("call-")
		if _, err := h.svc.RecordRating(h.ctx(), rating(id, event.ScaleStars5, 4)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// correct corrects the rating of interaction to 3 stars, edited.
	correct := func(interaction string, edit func(d *event.RatingCorrected)) (command.Result, error) {
		r := rating(interaction, event.ScaleStars5, 3).RatingReceived
		d := event.RatingCorrected{Platform: r.Platform, InteractionID: r.InteractionID, Agent: r.Agent, Score: r.Score,
			Scale: r.Scale, Comment: r.Comment, Channel: r.Channel, HandleTimeSeconds: r.HandleTimeSeconds, OccurredAt: r.OccurredAt}
		edit(&d)
		return h.svc.CorrectRating(h.ctx(), command.CorrectRating{Tenant: acme, RatingCorrected: d})
	}
	member := func(text string) event.MemberUpserted {
		return event.MemberUpserted{Member: next("m"), Name: text, Team: "support", TimeZone: "Europe/Lisbon", Active: true}
	}

	fields := []textField{
		{name: "kudos message", field: "message", multiline: true,
			run: func(_, text string) (command.Result, error) {
				c := kudos("ana", 1, "ben")
				c.Message = text
				return h.svc.GiveKudos(h.ctx(), c)
			},
			stored: func(d event.Data) string { return d.(event.KudosGiven).Message }},
		{name: "kudos cause event id", field: "cause.event_id",
			run: func(_, text string) (command.Result, error) {
				c := kudos("ana", 1, "ben")
				c.Cause = &event.Cause{EventID: text, Type: event.TypeRatingReceived}
				return h.svc.GiveKudos(h.ctx(), c)
			},
			stored: func(d event.Data) string { return d.(event.KudosGiven).Cause.EventID }},
		{name: "kudos cause type", field: "cause.type",
			run: func(_, text string) (command.Result, error) {
				c := kudos("ana", 1, "ben")
				c.Cause = &event.Cause{EventID: uuid.NewString(), Type: text}
				return h.svc.GiveKudos(h.ctx(), c)
			},
			stored: func(d event.Data) string { return d.(event.KudosGiven).Cause.Type }},
		{name: "retraction reason", field: "reason",
			prepare: func(t *testing.T) string { return h.give(kudos("ana", 1, "ben")).ID },
			run: func(id, text string) (command.Result, error) {
				c := retraction(id, "ana", event.ByGiver)
				c.Reason = text
				return h.svc.RetractKudos(h.ctx(), c)
			},
			stored: func(d event.Data) string { return d.(event.KudosRetracted).Reason }},
		{name: "member name", field: "name",
			run: func(_, text string) (command.Result, error) {
				return h.svc.UpsertMember(h.ctx(), command.UpsertMember{Tenant: acme, MemberUpserted: member(text)})
			},
			stored: func(d event.Data) string { return d.(event.MemberUpserted).Name }},
		{name: "imported member name", field: "members[0].name",
			run: func(_, text string) (command.Result, error) {
				return h.svc.ImportMembers(h.ctx(), command.ImportMembers{Tenant: acme, Members: []event.MemberUpserted{member(text)}})
			},
			stored: func(d event.Data) string { return d.(event.MemberUpserted).Name }},
		{name: "member-left reason", field: "reason", prepare: newMember,
			run: func(id, text string) (command.Result, error) {
				return h.svc.RemoveMember(h.ctx(), command.RemoveMember{Tenant: acme, Member: id, Reason: text})
			},
			stored: func(d event.Data) string { return d.(event.MemberLeft).Reason }},
		{name: "rating comment", field: "comment", multiline: true,
			run: func(_, text string) (command.Result, error) {
				c := rating(next("call-"), event.ScaleStars5, 4)
				c.Comment = text
				return h.svc.RecordRating(h.ctx(), c)
			},
			stored: func(d event.Data) string { return d.(event.RatingReceived).Comment }},
		{name: "corrected rating comment", field: "comment", multiline: true, prepare: newRating,
			run: func(id, text string) (command.Result, error) {
				return correct(id, func(d *event.RatingCorrected) { d.Comment = text })
			},
			stored: func(d event.Data) string { return d.(event.RatingCorrected).Comment }},
		{name: "correction reason", field: "reason", prepare: newRating,
			run: func(id, text string) (command.Result, error) {
				return correct(id, func(d *event.RatingCorrected) { d.Reason = text })
			},
			stored: func(d event.Data) string { return d.(event.RatingCorrected).Reason }},
		{name: "withdrawal reason", field: "reason", prepare: newRating,
			run: func(id, text string) (command.Result, error) {
				return h.svc.WithdrawRating(h.ctx(), command.WithdrawRating{Tenant: acme, Platform: "genesys", InteractionID: id, Reason: text})
			},
			stored: func(d event.Data) string { return d.(event.RatingWithdrawn).Reason }},
		{name: "boost reason", field: "reason",
			run: func(_, text string) (command.Result, error) {
				return h.svc.BoostAllowance(h.ctx(), command.BoostAllowance{Tenant: acme, AllowanceBoosted: event.AllowanceBoosted{
					Member: "ana", Points: 5, From: "2026-11-23", To: "2026-11-24", Reason: text, By: "admin",
				}})
			},
			stored: func(d event.Data) string { return d.(event.AllowanceBoosted).Reason }},
		{name: "nudge message", field: "message", multiline: true, prepare: newMember,
			run: func(id, text string) (command.Result, error) {
				out, err := h.svc.IssueNudge(h.ctx(), command.IssueNudge{
					Tenant: acme, Member: id, Kind: event.NudgeWellness, Reason: event.ReasonLongInteraction,
					Message: text, CauseKey: next("cause-"),
				})
				if err == nil && out.Skipped != "" {
					err = fmt.Errorf("skipped: %s", out.Skipped)
				}
				return out.Result, err
			},
			stored: func(d event.Data) string { return d.(event.NudgeIssued).Message }},
	}

	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			try := func(t *testing.T, text string) (command.Result, error, uint64) {
				t.Helper()
				key := ""
				if f.prepare != nil {
					key = f.prepare(t)
				}
				before := h.msgs()
				res, err := f.run(key, "Thanks for "+text+" today")
				return res, err, h.msgs() - before
			}
			refused := func(t *testing.T, text, want string) {
				t.Helper()
				res, err, grew := try(t, text)
				if err == nil {
					t.Fatalf("%+q accepted (%+v); want a *ValidationError on %s", text, res, f.field)
				}
				wantValidation(t, err, f.field)
				if reason := err.Error(); !strings.Contains(reason, want) {
					t.Errorf("reason %q does not say %q", reason, want)
				}
				if grew != 0 {
					t.Errorf("the stream grew by %d", grew)
				}
			}
			accepted := func(t *testing.T, text string) {
				t.Helper()
				res, err, grew := try(t, text)
				if err != nil || res.Replayed || len(res.Events) == 0 {
					t.Fatalf("%+q: %+v, %v; want it stored", text, res, err)
				}
				if grew != uint64(len(res.Events)) {
					t.Errorf("the stream grew by %d, want %d", grew, len(res.Events))
				}
				want := "Thanks for " + text + " today"
				if got := f.stored(stored(t, h.store, res.Events[0].ID)); got != want {
					t.Errorf("stored %+q, want %+q", got, want)
				}
			}
			for _, tt := range refusedTexts {
				t.Run(tt.name, func(t *testing.T) {
					want := tt.want
					if f.multiline && tt.multiWant != "" {
						want = tt.multiWant
					}
					refused(t, tt.text, want)
				})
			}
			for _, tt := range oneLineRefused {
				t.Run(tt.name, func(t *testing.T) {
					if f.multiline {
						accepted(t, tt.text)
					} else {
						refused(t, tt.text, map[bool]string{true: "tab", false: "line break"}[tt.name == "tab"])
					}
				})
			}
			for _, tt := range acceptedTexts {
				t.Run(tt.name, func(t *testing.T) { accepted(t, tt.text) })
			}
		})
	}
}

// TestInteractionIDNotUTF8: an interaction id is an id, not free text,
// but bytes that are not UTF-8, or the character that stands for them,
// are refused there too.
func TestInteractionIDNotUTF8(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	for _, id := range []string{"call-\xff", "call-\uFFFD"} {
		before := h.msgs()
		_, err := h.svc.RecordRating(h.ctx(), rating(id, event.ScaleStars5, 4))
		wantValidation(t, err, "interaction_id")
		if got := h.msgs(); got != before {
			t.Errorf("%+q: the stream grew from %d to %d", id, before, got)
		}
	}
}
