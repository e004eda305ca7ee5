package command_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

func TestReact(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	// eli is in none of the kudos below.
	h.members("Europe/Lisbon", "ana", "ben", "cai", "dee", "eli")
	public := h.give(kudos("ana", 1, "ben"))
	priv := kudos("ana", 1, "ben", "cai")
	priv.Visibility = event.Private
	private := h.give(priv)
	gone := h.give(kudos("ana", 1, "cai"))
	if _, err := h.svc.RetractKudos(h.ctx(), retraction(gone.ID, "ana", event.ByGiver)); err != nil {
		t.Fatal(err)
	}
	h.leave("dee")

	react := func(kudosID, member, emoji string) command.React {
		return command.React{Tenant: acme, KudosID: kudosID, Member: member, Emoji: emoji}
	}

	// Accepted in order; a repeat replays the first.
	accepted := []struct {
		name       string
		c          command.React
		wantReplay bool
	}{
		{name: "bystander on a public kudos", c: react(public.ID, "cai", "🎉")},
		{name: "same emoji again", c: react(public.ID, "cai", "🎉"), wantReplay: true},
		{name: "another emoji", c: react(public.ID, "cai", "👍🏽")},
		{name: "short code", c: react(public.ID, "cai", ":tada:")},
		{name: "another member, same emoji", c: react(public.ID, "ben", "🎉")},
		{name: "giver", c: react(public.ID, "ana", "❤️")},
		{name: "joined emoji", c: react(public.ID, "ana", "👩‍💻")},
		{name: "joined emoji with a skin tone", c: react(public.ID, "ana", "👩🏽‍💻")},
		{name: "flag", c: react(public.ID, "ana", "🇵🇹")},
		{name: "subdivision flag", c: react(public.ID, "ana", "🏴󠁧󠁢󠁳󠁣󠁴󠁿")},
		{name: "heart without VS16", c: react(public.ID, "ana", "❤")},
		{name: "ten code points", c: react(public.ID, "ana", "🧑🏻‍❤️‍💋‍🧑🏼")},
		{name: "recipient of a private kudos", c: react(private.ID, "cai", "🙌")},
		{name: "giver of a private kudos", c: react(private.ID, "ana", "🙌")},
	}
	firsts := map[command.React]string{}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			before := h.msgs()
			res, err := h.svc.React(h.ctx(), tt.c)
			if err != nil || len(res.Events) != 1 {
				t.Fatalf("React = %+v, %v", res, err)
			}
			a := res.Events[0]
			if res.Replayed != tt.wantReplay {
				t.Errorf("Replayed = %v, want %v", res.Replayed, tt.wantReplay)
			}
			if tt.wantReplay {
				if a.ID != firsts[tt.c] {
					t.Errorf("replayed %s, want the first reaction %s", a.ID, firsts[tt.c])
				}
				h.wantUnchanged(t, before)
				return
			}
			firsts[tt.c] = a.ID
			if want := event.ReactionSubject(acme, tt.c.KudosID, tt.c.Member); a.Subject != want {
				t.Errorf("reaction on %s, want %s", a.Subject, want)
			}
			want := event.ReactionAdded{KudosID: tt.c.KudosID, Member: tt.c.Member, Emoji: tt.c.Emoji}
			if got := stored(t, h.store, a.ID).(event.ReactionAdded); got != want {
				t.Errorf("stored %+v, want %+v", got, want)
			}
		})
	}

	refused := []struct {
		name  string
		c     command.React
		kind  error
		field string
	}{
		{name: "non-participant on a private kudos", c: react(private.ID, "eli", "🎉"), kind: command.ErrNotFound},
		{name: "retracted kudos", c: react(gone.ID, "ben", "🎉"), kind: command.ErrConflict},
		{name: "unknown kudos", c: react(uuid.NewString(), "ben", "🎉"), kind: command.ErrNotFound},
		{name: "not a kudos id", c: react("abc", "ben", "🎉"), kind: command.ErrNotFound},
		{name: "other tenant", c: command.React{Tenant: "globex", KudosID: public.ID, Member: "ben", Emoji: "🎉"}, field: "from"},
		{name: "letters", c: react(public.ID, "ben", "abc"), field: "emoji"},
		{name: "empty", c: react(public.ID, "ben", ""), field: "emoji"},
		{name: "punctuation", c: react(public.ID, "ben", "!!"), field: "emoji"},
		{name: "bad short code", c: react(public.ID, "ben", ":Tada Time:"), field: "emoji"},
		{name: "many emoji", c: react(public.ID, "ben", "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉"), field: "emoji"},
		{name: "two emoji", c: react(public.ID, "ben", "👍👍"), field: "emoji"},
		{name: "eleven code points", c: react(public.ID, "ben", "👍‍👍‍👍‍👍‍👍‍👍"), field: "emoji"},
		{name: "a letter", c: react(public.ID, "ben", "a"), field: "emoji"},
		{name: "right-to-left override", c: react(public.ID, "ben", "\u202E"), field: "emoji"},
		{name: "emoji after a right-to-left override", c: react(public.ID, "ben", "\u202E🎉"), field: "emoji"},
		{name: "zero-width space", c: react(public.ID, "ben", "\u200B"), field: "emoji"},
		{name: "emoji and a zero-width space", c: react(public.ID, "ben", "🎉\u200B"), field: "emoji"},
		{name: "private use", c: react(public.ID, "ben", "\uE000"), field: "emoji"},
		{name: "byte order mark", c: react(public.ID, "ben", "\uFEFF"), field: "emoji"},
		{name: "symbol that is no emoji", c: react(public.ID, "ben", "★"), field: "emoji"},
		{name: "one regional indicator", c: react(public.ID, "ben", "🇵"), field: "emoji"},
		{name: "trailing ZWJ", c: react(public.ID, "ben", "👍\u200D"), field: "emoji"},
		{name: "invalid UTF-8", c: react(public.ID, "ben", "\xF0\x9F\x8E"), field: "emoji"},
		{name: "short code with a control character", c: react(public.ID, "ben", ":tada\x1b:"), field: "emoji"},
		// Emoji by Unicode's data, but letters, digits or punctuation by
		// the reaction_added.v1 schema.
		{name: "keycap", c: react(public.ID, "ben", "1️⃣"), field: "emoji"},
		{name: "information", c: react(public.ID, "ben", "ℹ️"), field: "emoji"},
		{name: "double exclamation mark", c: react(public.ID, "ben", "‼️"), field: "emoji"},
		{name: "member who left", c: react(public.ID, "dee", "🎉"), field: "from"},
		{name: "unknown member", c: react(public.ID, "zed", "🎉"), field: "from"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := h.msgs()
			res, err := h.svc.React(h.ctx(), tt.c)
			wantRefusal(t, res, err, tt.field, tt.kind)
			h.wantUnchanged(t, before)
		})
	}
}

// TestReactRefusedAfterARetractionElsewhere: a kudos this service gave, and
// so knows, retracted through another service, takes no more reactions here.
func TestReactRefusedAfterARetractionElsewhere(t *testing.T) {
	t.Parallel()
	ha, hb := twoServices(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	k := ha.give(kudos("ana", 1, "ben"))
	if _, err := ha.svc.React(ha.ctx(), command.React{Tenant: acme, KudosID: k.ID, Member: "ben", Emoji: "🎉"}); err != nil {
		t.Fatalf("react before the retraction: %v", err)
	}
	if _, err := hb.svc.RetractKudos(hb.ctx(), retraction(k.ID, "ana", event.ByGiver)); err != nil {
		t.Fatalf("retract through the other service: %v", err)
	}
	before := ha.msgs()
	_, err := ha.svc.React(ha.ctx(), command.React{Tenant: acme, KudosID: k.ID, Member: "ben", Emoji: "👏"})
	wantState(t, err, command.ErrConflict)
	ha.wantUnchanged(t, before)
}
