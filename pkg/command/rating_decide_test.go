package command

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// ratedAt is when the interaction of the rating tests happened.
var ratedAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// received is the first rating of interaction call-1, by score.
func received(id string, score int) stored {
	return stored{id: id, at: ratedAt, data: event.RatingReceived{Platform: "genesys", InteractionID: "call-1", Agent: "ana",
		Score: score, Scale: event.ScaleStars5, Channel: event.InteractionVoice, HandleTimeSeconds: 300, OccurredAt: ratedAt}}
}

// corrected is a correction of call-1 to score, for agent.
func corrected(id, agent string, score int) stored {
	return stored{id: id, at: ratedAt.Add(time.Hour), data: correction(agent, score)}
}

func correction(agent string, score int) event.RatingCorrected {
	return event.RatingCorrected{Platform: "genesys", InteractionID: "call-1", Agent: agent, Score: score, Scale: event.ScaleStars5,
		Channel: event.InteractionVoice, HandleTimeSeconds: 300, OccurredAt: ratedAt, Reason: "the customer pressed the wrong key"}
}

func withdrawn(id, agent string) stored {
	return stored{id: id, at: ratedAt.Add(2 * time.Hour), data: event.RatingWithdrawn{Platform: "genesys", InteractionID: "call-1", Agent: agent}}
}

func TestDecideCorrect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		given history
		when  event.RatingCorrected
		then  then
	}{
		{name: "a rating", given: history{received(kudos1, 2)}, when: correction("ana", 5),
			then: then{events: []event.Data{correction("ana", 5)}}},
		{name: "a correction", given: history{received(kudos1, 2), corrected(kudos2, "ana", 5)}, when: correction("ben", 5),
			then: then{events: []event.Data{correction("ben", 5)}}},
		{name: "the same again", given: history{received(kudos1, 2), corrected(kudos2, "ana", 5)}, when: correction("ana", 5),
			then: then{replay: 2}},
		// A correction back to the rating received is answered with it:
		// the rating is so already.
		{name: "back to the rating as received", given: history{received(kudos1, 5)}, when: correction("ana", 5),
			then: then{replay: 1}},
		{name: "no rating", when: correction("ana", 5), then: then{refused: ErrNotFound, field: "interaction_id"}},
		{name: "a withdrawn rating", given: history{received(kudos1, 2), withdrawn(kudos2, "ana")}, when: correction("ana", 5),
			then: then{refused: ErrConflict, field: "interaction_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := given(t, &RatingState{}, tt.given)
			d, err := decideCorrect(st, CorrectRating{Tenant: tenant, RatingCorrected: tt.when})
			tt.then.check(t, d, err)
		})
	}
}

// TestDecideCorrectIDs: a correction's id names the version it corrects,
// so a retry is stored once and two corrections of one version differ.
func TestDecideCorrectIDs(t *testing.T) {
	t.Parallel()
	id := func(h history, c event.RatingCorrected) string {
		d, err := decideCorrect(given(t, &RatingState{}, h), CorrectRating{Tenant: tenant, RatingCorrected: c})
		if err != nil || len(d.events) != 1 {
			t.Fatalf("decided %+v, %v", d, err)
		}
		return d.events[0].id
	}
	first := id(history{received(kudos1, 2)}, correction("ana", 5))
	if again := id(history{received(kudos1, 2)}, correction("ana", 5)); again != first {
		t.Errorf("the same correction of the same version has ids %s and %s", first, again)
	}
	if other := id(history{received(kudos1, 2)}, correction("ana", 4)); other == first {
		t.Errorf("two corrections of one version share id %s", first)
	}
	if later := id(history{received(kudos1, 2), corrected(kudos2, "ana", 4)}, correction("ana", 5)); later == first {
		t.Errorf("corrections of two versions share id %s", first)
	}
}

func TestDecideWithdraw(t *testing.T) {
	t.Parallel()
	withdrawal := func(agent string) []event.Data {
		return []event.Data{event.RatingWithdrawn{Platform: "genesys", InteractionID: "call-1", Agent: agent, Reason: "a test call"}}
	}
	tests := []struct {
		name  string
		given history
		then  then
	}{
		{name: "a rating", given: history{received(kudos1, 2)}, then: then{events: withdrawal("ana")}},
		// The withdrawal names the agent the rating last named.
		{name: "a corrected rating", given: history{received(kudos1, 2), corrected(kudos2, "ben", 2)}, then: then{events: withdrawal("ben")}},
		{name: "twice", given: history{received(kudos1, 2), withdrawn(kudos2, "ana")}, then: then{replay: 2}},
		{name: "no rating", then: then{refused: ErrNotFound, field: "interaction_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := given(t, &RatingState{}, tt.given)
			d, err := decideWithdraw(st, WithdrawRating{Tenant: tenant, Platform: "genesys", InteractionID: "call-1", Reason: "a test call"})
			tt.then.check(t, d, err)
		})
	}
}

func TestDecideRecognize(t *testing.T) {
	t.Parallel()
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	rating := received(kudos2, 5).data.(event.RatingReceived)
	rating.Comment = "Sorted my refund in minutes"
	c := RecognizeRating{Tenant: tenant, RatingID: kudos2, CauseType: event.TypeRatingReceived, RatingReceived: rating}
	earned := event.KudosGiven{
		Giver: "customer-genesys", Recipients: []string{"ana"}, Message: "A customer rated your call 5 of 5: “Sorted my refund in minutes”",
		Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelRule,
		Cause: &event.Cause{EventID: kudos2, Type: event.TypeRatingReceived}, Period: "day:2026-11-23",
	}
	kudos := func(id string) stored { return stored{id: id, at: noon, data: earned} }
	tests := []struct {
		name  string
		given history // the customers' kudos since the decision began
		then  then
	}{
		{name: "nothing given meanwhile", then: then{events: []event.Data{earned}, ids: []string{kudos3}}},
		{name: "another kudos given meanwhile", given: history{kudos(kudos1)}, then: then{events: []event.Data{earned}}},
		{name: "this kudos given meanwhile", given: history{kudos(kudos1), kudos(kudos3)}, then: then{replay: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := given(t, kudosSeen{}, tt.given)
			tt.then.check(t, decideRecognize(st, c, kudos3, noon), nil)
		})
	}
}
