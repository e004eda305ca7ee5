package rules_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// TestGapNudges: a manager is nudged once per gap when a member of their
// team goes gap_days without recognition; the next recognition ends the
// gap; newcomers and leavers are never named. Worked out by hand (gap 14
// days, no quiet hours, all in Lisbon; T0 = Sun 1 Nov 12:00 UTC):
//
//	T0      mgr, a, b, c join team ops (manager mgr)
//	T0+1d   mgr recognises b
//	T0+5d   d joins ops
//	T0+10d  c leaves
//	T0+16d  sweep: a (never, 16 days in), b (15 days since T0+1d)  -> 2 nudges
//	        sweep again                                            -> nothing
//	T0+17d  b recognises a; sweep: a's gap is over, b's the same    -> nothing
//	T0+32d  sweep: a again (15 days since T0+17d), d (27 days in)  -> 2 nudges
//	        b's gap (since T0+1d) was nudged already                -> nothing
func TestGapNudges(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	w := newWorld(t, t0)
	w.policy(t, `{"rules":{"gap_days":14},"nudges":{"gap":"opt_out","quiet_hours":{"start":"00:00","end":"00:00"}}}`)
	w.seedLisbon(t, "ops", "", "mgr")
	w.seedLisbon(t, "ops", "mgr", "a", "b", "c")
	w.clock.Set(t0.Add(day))
	w.give(t, "mgr", "b")
	w.clock.Set(t0.Add(5 * day))
	w.seedLisbon(t, "ops", "mgr", "d")
	w.clock.Set(t0.Add(10 * day))
	w.Do(t, "DELETE", "/v1/members/c", w.admin, nil).Want(t, http.StatusCreated)

	at16 := t0.Add(16 * day)
	w.clock.Set(at16)
	w.sweep(t)
	got := w.wantNudges(t, "day 16", 2)
	wantNudge(t, got[0], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "a", "2026-11-17", at16)
	wantNudge(t, got[1], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "b", "2026-11-17", at16)
	if got[0].Message != "A has not been recognised for 16 days. Is there something specific to thank them for?" ||
		got[1].Message != "B has not been recognised for 15 days. Is there something specific to thank them for?" {
		t.Errorf("messages %q, %q", got[0].Message, got[1].Message)
	}
	w.sweep(t)
	if n := len(w.nudges(t)); n != 2 {
		t.Errorf("a second sweep: %d nudges, want 2", n)
	}

	w.clock.Set(t0.Add(17 * day))
	w.give(t, "b", "a")
	w.sweep(t)
	if n := len(w.nudges(t)); n != 2 {
		t.Errorf("day 17: %d nudges, want 2", n)
	}

	at32 := t0.Add(32 * day)
	w.clock.Set(at32)
	w.sweep(t)
	got = w.wantNudges(t, "day 32", 4)
	wantNudge(t, got[2], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "a", "2026-12-03", at32)
	wantNudge(t, got[3], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "d", "2026-12-03", at32)
	for _, n := range got {
		if !n.Delivered {
			t.Errorf("gap nudge about %s not delivered", n.About)
		}
	}
	replayIsSilent(t, w)
}

// TestGivingNudges: a member who opted in, has given nothing and has
// allowance left is reminded once per period when giving_after_percent of
// it has passed. Worked out by hand (5 points a week, 75%, quiet hours
// none, all in Lisbon; the week of Mon 30 Nov runs to Mon 7 Dec 00:00, so
// 75% is Sat 5 Dec 06:00):
//
//	Mon 30 Nov 12:00  ha gives gi 1 point
//	Sat 5 Dec 05:00   sweep (71%)                         -> nothing
//	Sat 5 Dec 09:00   sweep (77%): gi (5 left)            -> 1 nudge
//	                  ha gave; io did not opt in; ju opted out -> nothing
//	                  sweep again                         -> nothing
//	Sat 12 Dec 09:00  sweep: a new week, in which neither gi
//	                  nor ha has given                    -> 2 nudges
func TestGivingNudges(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, mon)
	w.policy(t, `{"allowance":{"amount":5,"period":"week"},"rules":{"giving_after_percent":75},
		"nudges":{"quiet_hours":{"start":"00:00","end":"00:00"}}}`)
	w.seedLisbon(t, "ops", "", "gi", "ha", "io", "ju")
	w.prefs(t, "gi", `{"nudges":{"giving":"on"}}`)
	w.prefs(t, "ha", `{"nudges":{"giving":"on"}}`)
	w.prefs(t, "ju", `{"nudges":{"giving":"off"}}`)
	w.give(t, "ha", "gi")

	w.clock.Set(time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC))
	w.sweep(t)
	if n := w.nudges(t); len(n) != 0 {
		t.Errorf("at 71%% of the week: %+v", n)
	}
	sat := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	w.clock.Set(sat)
	w.sweep(t)
	w.sweep(t)
	got := w.wantNudges(t, "at 77% of the week", 1)
	wantNudge(t, got[0], "gi", event.NudgeGiving, event.ReasonAllowanceLeft, "", "2026-12-05", sat)
	if m := got[0].Message; m != "You have 5 points to give before Mon 7 Dec 00:00. Who helped you lately?" {
		t.Errorf("message %q", m)
	}
	next := sat.Add(7 * 24 * time.Hour)
	w.clock.Set(next)
	w.sweep(t)
	got = w.wantNudges(t, "the next week", 3)
	wantNudge(t, got[1], "gi", event.NudgeGiving, event.ReasonAllowanceLeft, "", "2026-12-12", next)
	wantNudge(t, got[2], "ha", event.NudgeGiving, event.ReasonAllowanceLeft, "", "2026-12-12", next)
	replayIsSilent(t, w)
}

// TestGivingNudgeNeverAfterItsPeriod: a giving nudge that quiet hours would
// hold past the end of its allowance period is not issued: it would tell
// the member about points they no longer have. One that can be delivered
// expires with the period at the latest. Daily allowance, in Lisbon, quiet
// 20:00–08:00:
//
//	Mon 22:00  90% of the day passed (21:36), but delivery would be Tue 08:00 -> nothing
//	Tue 19:00  75% passed (18:00), delivered at once                          -> 1 nudge,
//	           expiring with the day, at Wed 00:00
func TestGivingNudgeNeverAfterItsPeriod(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)
	w := newWorld(t, mon)
	w.policy(t, `{"allowance":{"amount":3,"period":"day"},"rules":{"giving_after_percent":90}}`)
	w.seedLisbon(t, "ops", "", "gi")
	w.prefs(t, "gi", `{"nudges":{"giving":"on"}}`)
	w.sweep(t)
	w.wantNudges(t, "a giving nudge for after the period", 0)
	w.policy(t, `{"allowance":{"amount":3,"period":"day"},"rules":{"giving_after_percent":75}}`)
	tue := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	w.clock.Set(tue)
	w.sweep(t)
	got := w.wantNudges(t, "Tuesday 19:00", 1)
	wantNudge(t, got[0], "gi", event.NudgeGiving, event.ReasonAllowanceLeft, "", "2026-12-01", tue)
	if end := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC); !got[0].ExpiresAt.Equal(end) || !got[0].Delivered {
		t.Errorf("giving nudge %+v, want delivered and expiring at %s", got[0], end)
	}
}
