package command_test

import (
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

var ratingNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func rating(interaction string, scale string, score int) command.RecordRating {
	return command.RecordRating{Tenant: acme, RatingReceived: event.RatingReceived{
		Platform: "genesys", InteractionID: interaction, Agent: "ana", Score: score, Scale: scale,
		Comment: "Sorted my refund in minutes", Channel: event.InteractionVoice, HandleTimeSeconds: 312,
		OccurredAt: ratingNow.Add(-10 * time.Minute),
	}}
}

// interactionEvents returns the rating events of one interaction of acme,
// on shard subjects and per-interaction subjects of before the shards alike.
func interactionEvents(t *testing.T, st *eventstore.Store, platform, interaction string) []eventstore.Recorded {
	t.Helper()
	var out []eventstore.Recorded
	for _, r := range load(t, st, "plaudit."+acme+".rating."+platform+".>") {
		if p, id, ok := ratingKey(decode(t, r)); ok && p == platform && id == interaction {
			out = append(out, r)
		}
	}
	return out
}

func ratingKey(d event.Data) (platform, interaction string, ok bool) {
	switch e := d.(type) {
	case event.RatingReceived:
		return e.Platform, e.InteractionID, true
	case event.RatingCorrected:
		return e.Platform, e.InteractionID, true
	case event.RatingWithdrawn:
		return e.Platform, e.InteractionID, true
	}
	return "", "", false
}

// onlyRating fails the test unless the stream holds one event of the
// interaction, a rating received, and returns it.
func (h *harness) onlyRating(interaction string) event.RatingReceived {
	h.t.Helper()
	recs := interactionEvents(h.t, h.store, "genesys", interaction)
	if len(recs) != 1 {
		h.t.Fatalf("%d events stored for interaction %s, want 1", len(recs), interaction)
	}
	r, ok := decode(h.t, recs[0]).(event.RatingReceived)
	if !ok {
		h.t.Fatalf("interaction %s holds %T, want a rating received", interaction, decode(h.t, recs[0]))
	}
	return r
}

func TestRecordRatingOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")

	first, err := h.svc.RecordRating(h.ctx(), rating("call/0001?x=1", event.ScaleStars5, 5))
	if err != nil || first.Replayed || len(first.Events) != 1 {
		t.Fatalf("first RecordRating = %+v, %v", first, err)
	}
	if want := event.RatingSubject(acme, "genesys", "call/0001?x=1", "received"); first.Events[0].Subject != want {
		t.Errorf("rating on %s, want %s", first.Events[0].Subject, want)
	}

	// The same interaction again, also with another score: the first wins.
	for _, score := range []int{5, 1} {
		again, err := h.svc.RecordRating(h.ctx(), rating("call/0001?x=1", event.ScaleStars5, score))
		if err != nil || !again.Replayed || len(again.Events) != 1 || again.Events[0] != first.Events[0] {
			t.Errorf("re-sent rating (score %d) = %+v, %v; want a replay of %+v", score, again, err, first.Events[0])
		}
	}
	if got := h.onlyRating("call/0001?x=1"); got.Score != 5 || !got.OccurredAt.Equal(ratingNow.Add(-10*time.Minute)) {
		t.Errorf("stored %+v", got)
	}

	// The same interaction id on another platform is another rating.
	other := rating("call/0001?x=1", event.ScaleStars5, 4)
	other.Platform = "five9"
	res, err := h.svc.RecordRating(h.ctx(), other)
	if err != nil || res.Replayed || res.Events[0].ID == first.Events[0].ID {
		t.Errorf("rating on another platform = %+v, %v; want a new event", res, err)
	}
}

// TestRecordRatingRace: concurrent deliveries of one rating store it once and
// all answer with its id.
func TestRecordRatingRace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	const n = 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ids      = map[string]int{}
		fresh    int
		failures []error
	)
	for range n {
		wg.Go(func() {
			res, err := h.svc.RecordRating(h.ctx(), rating("chat-77", event.ScaleCSAT5, 4))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
				return
			}
			ids[res.Events[0].ID]++
			if !res.Replayed {
				fresh++
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Errorf("RecordRating: %v", err)
	}
	if len(ids) != 1 || fresh != 1 {
		t.Errorf("answers %v with %d not replayed, want one id and one new event", ids, fresh)
	}
	h.onlyRating("chat-77")
}

// TestRecordRatingBeyondDuplicateWindow: once JetStream has forgotten the
// event id, the conditional append on the interaction still keeps the rating
// single.
func TestRecordRatingBeyondDuplicateWindow(t *testing.T) {
	t.Parallel()
	h := newForgetfulHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	first := h.record(rating("email-9", event.ScaleNPS10, 9))

	h.waitPastDuplicateWindow()

	again, err := h.svc.RecordRating(h.ctx(), rating("email-9", event.ScaleNPS10, 9))
	if err != nil || !again.Replayed || len(again.Events) != 1 || again.Events[0] != first {
		t.Errorf("re-sent rating = %+v, %v; want a replay of %+v", again, err, first)
	}
	h.onlyRating("email-9")
}

func TestRecordRatingValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.members("Europe/Lisbon", "ana", "ben")
	h.leave("ben")

	tests := []struct {
		name   string
		change func(c *command.RecordRating)
		field  string // "" when accepted
	}{
		{name: "stars 0", change: func(c *command.RecordRating) { c.Score = 0 }, field: "score"},
		{name: "stars 1", change: func(c *command.RecordRating) { c.Score = 1 }},
		{name: "stars 5", change: func(c *command.RecordRating) { c.Score = 5 }},
		{name: "stars 6", change: func(c *command.RecordRating) { c.Score = 6 }, field: "score"},
		{name: "csat 0", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleCSAT5, 0 }, field: "score"},
		{name: "csat 5", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleCSAT5, 5 }},
		{name: "csat 6", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleCSAT5, 6 }, field: "score"},
		{name: "nps -1", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleNPS10, -1 }, field: "score"},
		{name: "nps 0", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleNPS10, 0 }},
		{name: "nps 10", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleNPS10, 10 }},
		{name: "nps 11", change: func(c *command.RecordRating) { c.Scale, c.Score = event.ScaleNPS10, 11 }, field: "score"},
		{name: "unknown scale", change: func(c *command.RecordRating) { c.Scale = "stars_10" }, field: "scale"},
		{name: "in the future", change: func(c *command.RecordRating) { c.OccurredAt = ratingNow.Add(10 * time.Minute) }, field: "occurred_at"},
		{name: "slightly ahead clock", change: func(c *command.RecordRating) { c.OccurredAt = ratingNow.Add(4 * time.Minute) }},
		{name: "no time", change: func(c *command.RecordRating) { c.OccurredAt = time.Time{} }, field: "occurred_at"},
		{name: "over a year ago", change: func(c *command.RecordRating) { c.OccurredAt = ratingNow.AddDate(-1, 0, -2) }, field: "occurred_at"},
		{name: "unknown agent", change: func(c *command.RecordRating) { c.Agent = "zed" }, field: "agent"},
		{name: "malformed agent", change: func(c *command.RecordRating) { c.Agent = "Ana!" }, field: "agent"},
		{name: "agent of another tenant", change: func(c *command.RecordRating) { c.Tenant = "globex" }, field: "agent"},
		// A rating of a former agent's earlier call is still a fact.
		{name: "agent who left", change: func(c *command.RecordRating) { c.Agent = "ben" }},
		{name: "bad platform", change: func(c *command.RecordRating) { c.Platform = "Genesys Cloud" }, field: "platform"},
		{name: "empty interaction", change: func(c *command.RecordRating) { c.InteractionID = "" }, field: "interaction_id"},
		{name: "interaction with a space", change: func(c *command.RecordRating) { c.InteractionID = "call 1" }, field: "interaction_id"},
		{name: "bad channel", change: func(c *command.RecordRating) { c.Channel = "pigeon" }, field: "channel"},
		{name: "negative handle time", change: func(c *command.RecordRating) { c.HandleTimeSeconds = -1 }, field: "handle_time_seconds"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rating("call-"+string(rune('a'+i)), event.ScaleStars5, 4)
			tt.change(&c)
			before := h.msgs()
			res, err := h.svc.RecordRating(h.ctx(), c)
			if tt.field == "" {
				if err != nil || res.Replayed {
					t.Fatalf("RecordRating = %+v, %v; want a new event", res, err)
				}
				if got := h.msgs(); got != before+1 {
					t.Errorf("stream grew by %d, want 1", got-before)
				}
				return
			}
			wantRefusal(t, res, err, tt.field, nil)
			h.wantUnchanged(t, before)
		})
	}
}
