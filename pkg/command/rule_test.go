package command_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// TestRecognizeRatingOnce: the kudos a rating earns is stored once, also
// when it is asked for again after JetStream has forgotten its id, and by
// a process that starts with an empty kudos index (a restarted rules
// engine replaying the stream).
func TestRecognizeRatingOnce(t *testing.T) {
	t.Parallel()
	h := newForgetfulHarness(t, ratingNow)
	st, ctx := h.store, h.ctx()
	h.member("ana", "support", "Europe/Lisbon")
	rated := h.record(rating("call-5", event.ScaleStars5, 5))
	c := command.RecognizeRating{Tenant: acme, RatingID: rated.ID, RatingReceived: rating("call-5", event.ScaleStars5, 5).RatingReceived}
	first, err := h.svc.RecognizeRating(ctx, c)
	if err != nil || first.Replayed || len(first.Events) != 1 {
		t.Fatalf("first RecognizeRating = %+v, %v", first, err)
	}
	h.waitPastDuplicateWindow()

	again, err := h.svc.RecognizeRating(ctx, c)
	if err != nil || !again.Replayed || again.Events[0] != first.Events[0] {
		t.Errorf("again = %+v, %v; want a replay of %+v", again, err, first.Events[0])
	}
	fresh := diskDirectory(t)
	runDirectory(t, fresh, st)
	restarted, err := command.NewService(st, fresh, h.clock.Now).RecognizeRating(ctx, c)
	if err != nil || !restarted.Replayed || restarted.Events[0].ID != first.Events[0].ID {
		t.Errorf("after a restart = %+v, %v; want a replay of %+v", restarted, err, first.Events[0])
	}
	if kudos := load(t, st, event.GiverFilter(acme, command.CustomerGiver("genesys"))); len(kudos) != 1 {
		t.Errorf("%d kudos from the customers stored, want 1", len(kudos))
	}
	// A rating below the threshold earns nothing.
	low := c
	low.Score = 4
	if res, err := h.svc.RecognizeRating(ctx, low); err != nil || len(res.Events) != 0 {
		t.Errorf("a 4-star rating gave %+v, %v", res, err)
	}
}

// TestRecognizeRatingRefusals: a rating older than RatingKudosMaxAge earns
// nothing new, and one naming an agent the directory does not know yet (a
// rules engine whose directory is behind) is an error to retry, not a
// rating to drop.
func TestRecognizeRatingRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	rated := h.record(rating("call-9", event.ScaleStars5, 5))
	c := command.RecognizeRating{Tenant: acme, RatingID: rated.ID, Time: ratingNow.Add(-command.RatingKudosMaxAge - time.Minute),
		RatingReceived: rating("call-9", event.ScaleStars5, 5).RatingReceived}
	if res, err := h.svc.RecognizeRating(h.ctx(), c); err != nil || len(res.Events) != 0 {
		t.Errorf("a rating older than %s gave %+v, %v", command.RatingKudosMaxAge, res, err)
	}
	c.Time = ratingNow.Add(-time.Hour)
	c.Agent = "bea" // rated, but not in this directory yet
	if res, err := h.svc.RecognizeRating(h.ctx(), c); !errors.Is(err, command.ErrUnavailable) || len(res.Events) != 0 {
		t.Errorf("an agent the directory does not know yet: %+v, %v; want ErrUnavailable", res, err)
	}
	c.Agent = "ana"
	if res, err := h.svc.RecognizeRating(h.ctx(), c); err != nil || len(res.Events) != 1 || res.Replayed {
		t.Errorf("a rating an hour old: %+v, %v", res, err)
	}
}

// TestRecognizeRatingQuotesOnlyText: the kudos a rating earns quotes the
// customer's comment when it is text a message may hold, and leaves out
// one that is not (a comment stored before RecordRating checked them).
func TestRecognizeRatingQuotesOnlyText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	tests := []struct {
		name, comment, want string
	}{
		{"text", "Sorted it 👩‍💻 in minutes", "A customer rated your call 5 of 5: “Sorted it 👩‍💻 in minutes”"},
		{"right-to-left override", "Sorted it \u202Ein minutes", "A customer rated your call 5 of 5."},
		{"terminal escape", "Sorted it \x1b[2J", "A customer rated your call 5 of 5."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rating(fmt.Sprintf("call-quote-%d", i), event.ScaleStars5, 5).RatingReceived
			r.Comment = tt.comment
			res, err := h.svc.RecognizeRating(h.ctx(), command.RecognizeRating{Tenant: acme, RatingID: uuid.NewString(), RatingReceived: r})
			if err != nil || len(res.Events) != 1 {
				t.Fatalf("RecognizeRating = %+v, %v", res, err)
			}
			if got := stored(t, h.store, res.Events[0].ID).(event.KudosGiven).Message; got != tt.want {
				t.Errorf("message %+q, want %+q", got, tt.want)
			}
		})
	}
}
