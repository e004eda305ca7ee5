package command

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

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
