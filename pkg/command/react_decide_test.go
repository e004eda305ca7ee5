package command

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

func TestDecideReact(t *testing.T) {
	t.Parallel()
	public := Kudos{ID: kudos1, KudosGiven: event.KudosGiven{Giver: "ana", Recipients: []string{"ben", "cai"}, Visibility: event.Public}}
	private := public
	private.Visibility = event.Private
	reacted := func(id, member, emoji string) stored {
		return stored{id: id, at: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), data: event.ReactionAdded{KudosID: kudos1, Member: member, Emoji: emoji}}
	}
	reaction := func(member, emoji string) []event.Data {
		return []event.Data{event.ReactionAdded{KudosID: kudos1, Member: member, Emoji: emoji}}
	}
	react := func(member, emoji string) React {
		return React{Tenant: tenant, KudosID: kudos1, Member: member, Emoji: emoji}
	}
	tests := []struct {
		name      string
		given     history // the member's reactions to the kudos
		kudos     Kudos
		retracted bool
		when      React
		then      then
	}{
		{name: "a first reaction", kudos: public, when: react("eli", "🎉"),
			then: then{events: reaction("eli", "🎉"), ids: []string{kudos3}}},
		{name: "the same emoji again", kudos: public, given: history{reacted(kudos2, "eli", "🎉")}, when: react("eli", "🎉"),
			then: then{replay: 1}},
		{name: "another emoji", kudos: public, given: history{reacted(kudos2, "eli", "🎉")}, when: react("eli", "👏"),
			then: then{events: reaction("eli", "👏")}},
		{name: "a recipient of a private kudos", kudos: private, when: react("cai", "🎉"),
			then: then{events: reaction("cai", "🎉")}},
		{name: "the giver of a private kudos", kudos: private, when: react("ana", "🎉"),
			then: then{events: reaction("ana", "🎉")}},
		{name: "a bystander on a private kudos", kudos: private, when: react("eli", "🎉"),
			then: then{refused: ErrNotFound, field: "id"}},
		{name: "a retracted kudos", kudos: public, retracted: true, when: react("eli", "🎉"),
			then: then{refused: ErrConflict, field: "id"}},
		// A bystander learns nothing of a private kudos, retracted or not.
		{name: "a bystander on a retracted private kudos", kudos: private, retracted: true, when: react("eli", "🎉"),
			then: then{refused: ErrNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := given(t, reactions{}, tt.given)
			d, err := decideReact(st, tt.when, reactInputs{kudos: tt.kudos, retracted: tt.retracted, id: kudos3})
			tt.then.check(t, d, err)
		})
	}
}
