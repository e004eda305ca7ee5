package command_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// TestQuietUntil: quiet hours in the member's zone, across midnight and
// across the days the clocks change. Worked out by hand.
func TestQuietUntil(t *testing.T) {
	t.Parallel()
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	night := event.QuietHours{Start: "20:00", End: "08:00"}
	tests := []struct {
		name  string
		q     event.QuietHours
		now   time.Time
		loc   *time.Location
		quiet bool
		until time.Time
	}{
		{"before the evening", night, time.Date(2026, 11, 30, 19, 59, 0, 0, time.UTC), lisbon, false, time.Time{}},
		{"the evening starts", night, time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC), lisbon, true, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{"after midnight", night, time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), lisbon, true, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{"the morning ends it", night, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), lisbon, false, time.Time{}},
		{"a day window", event.QuietHours{Start: "12:00", End: "13:30"}, time.Date(2026, 12, 1, 12, 15, 0, 0, time.UTC), lisbon, true, time.Date(2026, 12, 1, 13, 30, 0, 0, time.UTC)},
		{"none", event.QuietHours{Start: "00:00", End: "00:00"}, time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), lisbon, false, time.Time{}},
		// Lisbon springs forward on 29 Mar 2026 at 01:00 UTC (01:00 WET
		// -> 02:00 WEST): quiet hours ending at 08:00 end at 07:00 UTC.
		{"spring forward", night, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), lisbon, true, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		// An end in the hour that does not exist (01:30) is the instant
		// the clocks reach it: 02:30 WEST, 01:30 UTC.
		{"an end the clocks skip", event.QuietHours{Start: "22:00", End: "01:30"}, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), lisbon, true, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		// Lisbon falls back on 25 Oct 2026 (02:00 WEST -> 01:00 WET):
		// 08:00 WET is 08:00 UTC.
		{"fall back", night, time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), lisbon, true, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
		// Auckland (UTC+13 in November): 21:30 local is 08:30 UTC; quiet
		// until 08:00 local the next day, 19:00 UTC the same day.
		{"east of UTC", night, time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC), auckland, true, time.Date(2026, 11, 30, 19, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		until, quiet := command.QuietUntil(tt.q, tt.now, tt.loc)
		if quiet != tt.quiet || !until.Equal(tt.until) {
			t.Errorf("%s: QuietUntil = %s, %v; want %s, %v", tt.name, until, quiet, tt.until, tt.quiet)
		}
	}
}

// TestCorrectionsRace: two different corrections of one rating sent at
// once are both stored, one after the other; neither is answered as the
// other's replay.
func TestCorrectionsRace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	h.record(rating("call-7", event.ScaleStars5, 5))
	for round := range 10 {
		var wg sync.WaitGroup
		results := make([]command.Result, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				r := rating("call-7", event.ScaleStars5, 1+i+2*(round%2)).RatingReceived
				results[i], errs[i] = h.svc.CorrectRating(h.ctx(), command.CorrectRating{Tenant: acme, RatingCorrected: event.RatingCorrected{
					Platform: r.Platform, InteractionID: r.InteractionID, Agent: r.Agent, Score: r.Score, Scale: r.Scale,
					Channel: r.Channel, HandleTimeSeconds: r.HandleTimeSeconds, OccurredAt: r.OccurredAt}})
			})
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d: correction %d: %v", round, i, errs[i])
			}
			if results[i].Replayed {
				t.Errorf("round %d: correction %d answered as a replay", round, i)
			}
			d, ok := stored(t, h.store, results[i].Events[0].ID).(event.RatingCorrected)
			if !ok || d.Score != 1+i+2*(round%2) {
				t.Errorf("round %d: correction %d stored as %+v", round, i, d)
			}
		}
	}
}

// TestSettleRace: an acknowledgement and a dismissal of one nudge sent at
// once: exactly one is stored, the other refused as a conflict.
func TestSettleRace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	h.member("ana", "support", "Europe/Lisbon")
	if _, err := h.svc.SetPreferences(h.ctx(), command.SetPreferences{Tenant: acme,
		PreferencesSet: event.PreferencesSet{Member: "ana", Nudges: event.NudgeChoices{Wellness: event.ChoiceOn}}}); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		if round >= 3 { // the default daily cap of 3 is reached: a day later then
			h.clock.Set(h.clock.Now().Add(24 * time.Hour))
		}
		out, err := h.svc.IssueNudge(h.ctx(), command.IssueNudge{Tenant: acme, Member: "ana", Kind: event.NudgeWellness,
			Reason: event.ReasonNoBreak, Message: "Time for a pause?", CauseKey: time.Duration(round).String()})
		if err != nil || out.Skipped != "" {
			t.Fatalf("round %d: IssueNudge = %+v, %v", round, out, err)
		}
		id := out.Events[0].ID
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				_, errs[i] = h.svc.SettleNudge(h.ctx(), command.SettleNudge{Tenant: acme, Member: "ana", NudgeID: id, Acknowledge: i == 0})
			})
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, command.ErrConflict):
				conflict++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Errorf("round %d: %d settled and %d refused, want 1 and 1 (%v)", round, ok, conflict, errs)
		}
	}
}
