package rules_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/internal/projtest"
	"github.com/plaudit/plaudit/projections/rules"
)

// TestWellnessNudges: a low-rated interaction, a long one and a run
// without a break each nudge the agent, at most one per rating, at most
// the daily cap a day; a member who opted out gets none, nor does anyone
// for an interaction hours ago. Worked out by hand:
//
//	policy: wellness opt_out, daily cap 2, long ≥ 45 min, low ≤ 2 stars,
//	        run of 3, break 10 min; ana and ben in Lisbon (UTC in winter)
//	Mon 30 Nov, 10:00
//	  a1 ana 5★ 50 min, 09:08–09:58        long_interaction  #1 (day 11-30)
//	  b1 ben 1★ (ben opted out)             nothing
//	  a2 ana 2★ 5 min, 09:55–10:00          low_rating        #2 (day 11-30)
//	  a3 ana 1★ 1 min                       low, but the cap is full
//	  a0 ana 1★ that ended at 05:00         too long ago: nothing
//	Tue 1 Dec, 10:00
//	  a4 ana 4★ 5 min, 09:30–09:35          run of 1
//	  a5 ana 4★ 5 min, 09:40–09:45          run of 2 (5 min break)
//	  a6 ana 4★ 5 min, 09:50–09:55          run of 3: no_break #3 (day 12-01)
//	  a7 ana 4★ 3 min, 09:57–10:00          run of 4: the same run, nothing
func TestWellnessNudges(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	w := newWorld(t, mon)
	w.seedLisbon(t, "support", "", "ana", "ben")
	w.policy(t, `{"rules":{"wellness":{"long_interaction_minutes":45,"low_rating":{"stars_5":2},"run_length":3,"break_minutes":10}},
		"nudges":{"wellness":"opt_out","daily_cap":2}}`)
	w.prefs(t, "ben", `{"nudges":{"wellness":"off"}}`)

	at := func(day time.Time, hm string) time.Time {
		d, _ := time.Parse("15:04", hm)
		return day.Truncate(24 * time.Hour).Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute)
	}
	// What follows from the policy and each one's choice.
	var prefs apiv1.Preferences
	w.Do(t, "GET", "/v1/members/ben/preferences", w.Key(t, "acme", auth.Member, "ben"), nil).Want(t, http.StatusOK).Decode(t, &prefs)
	if k := prefs.Nudges[event.NudgeWellness]; k.Offer != event.OptOut || k.Choice != event.ChoiceOff || k.Receives {
		t.Errorf("ben's wellness nudges: %+v", k)
	}
	if k := prefs.Nudges[event.NudgeGap]; k.Offer != event.OptIn || k.Choice != "" || k.Receives {
		t.Errorf("ben's gap nudges: %+v", k)
	}
	if prefs.QuietHours != (event.QuietHours{Start: "20:00", End: "08:00"}) || prefs.QuietHoursFrom != "tenant" || prefs.DailyCap != 2 {
		t.Errorf("ben's preferences: %+v", prefs)
	}
	w.Do(t, "GET", "/v1/members/ana/preferences", w.admin, nil).Want(t, http.StatusOK).Decode(t, &prefs)
	if k := prefs.Nudges[event.NudgeWellness]; !k.Receives || k.Choice != "" {
		t.Errorf("ana's wellness nudges: %+v", k)
	}
	w.Do(t, "GET", "/v1/members/ana/preferences", w.Key(t, "acme", auth.Member, "ben"), nil).WantProblem(t, http.StatusForbidden, "id")
	w.Do(t, "GET", "/v1/members/nobody/preferences", w.admin, nil).WantProblem(t, http.StatusNotFound, "id")
	w.Do(t, "GET", "/v1/members/nobody/nudges", w.admin, nil).WantProblem(t, http.StatusNotFound, "member")

	a1 := w.rate(t, rating("a1", "ana", 5, event.ScaleStars5, 50*time.Minute, at(mon, "09:58")))
	w.rate(t, rating("b1", "ben", 1, event.ScaleStars5, 4*time.Minute, at(mon, "09:59")))
	a2 := w.rate(t, rating("a2", "ana", 2, event.ScaleStars5, 5*time.Minute, at(mon, "10:00")))
	w.rate(t, rating("a3", "ana", 1, event.ScaleStars5, time.Minute, at(mon, "10:00")))
	w.rate(t, rating("a0", "ana", 1, event.ScaleStars5, time.Minute, at(mon, "05:00")))

	tue := mon.Add(24 * time.Hour)
	w.clock.Set(tue)
	w.rate(t, rating("a4", "ana", 4, event.ScaleStars5, 5*time.Minute, at(tue, "09:35")))
	w.rate(t, rating("a5", "ana", 4, event.ScaleStars5, 5*time.Minute, at(tue, "09:45")))
	a6 := w.rate(t, rating("a6", "ana", 4, event.ScaleStars5, 5*time.Minute, at(tue, "09:55")))
	w.rate(t, rating("a7", "ana", 4, event.ScaleStars5, 3*time.Minute, at(tue, "10:00")))

	got := w.wantNudges(t, "after Tuesday's ratings", 3)
	wantNudge(t, got[0], "ana", event.NudgeWellness, event.ReasonLongInteraction, "", "2026-11-30", mon)
	wantNudge(t, got[1], "ana", event.NudgeWellness, event.ReasonLowRating, "", "2026-11-30", mon)
	wantNudge(t, got[2], "ana", event.NudgeWellness, event.ReasonNoBreak, "", "2026-12-01", tue)
	for i, cause := range []string{a1, a2, a6} {
		if c := got[i].Cause; c == nil || c.EventID != cause || c.Type != event.TypeRatingReceived {
			t.Errorf("nudge %d caused by %+v, want rating %s", i, c, cause)
		}
		if !got[i].Delivered {
			t.Errorf("nudge %d not delivered at once", i)
		}
	}
	if m := got[0].Message; m != "That was a long call (50 minutes). Take a few minutes before the next one." {
		t.Errorf("long call message %q", m)
	}
	if m := got[1].Message; strings.ContainsAny(m, "0123456789") || strings.Contains(m, "star") {
		t.Errorf("a low-rating nudge quotes the score: %q", m)
	}
	if m := got[2].Message; m != "You have handled 3 conversations in a row without a break. Time for a pause?" {
		t.Errorf("run message %q", m)
	}

	// A chat integration following the documented subject gets each
	// delivered nudge, whole.
	chat := deliveredOn(t, w, "plaudit.*.nudge.*.delivered")
	if len(chat) != 3 || chat[0].NudgeID != got[0].ID || chat[2].Message != got[2].Message || chat[2].Member != "ana" {
		t.Errorf("on plaudit.*.nudge.*.delivered: %+v", chat)
	}

	// The agent reads their nudges, newest first, and settles them once.
	ana := w.Key(t, "acme", auth.Member, "ana")
	var list apiv1.Nudges
	w.Do(t, "GET", "/v1/members/ana/nudges?limit=2", ana, nil).Want(t, http.StatusOK).Decode(t, &list)
	w.Do(t, "GET", "/v1/members/ana/nudges?limit=201", ana, nil).WantProblem(t, http.StatusBadRequest, "limit")
	w.Do(t, "GET", "/v1/members/ana/nudges?limit=many", ana, nil).WantProblem(t, http.StatusBadRequest, "limit")
	if len(list.Nudges) != 2 || list.Nudges[0].ID != got[2].ID || list.Nudges[1].ID != got[1].ID ||
		list.Nudges[0].State != rules.StateDelivered || list.Nudges[0].DeliveredAt == nil {
		t.Errorf("ana's nudges: %+v", list)
	}
	w.Do(t, "POST", "/v1/nudges/"+got[2].ID+"/ack", ana, nil).Want(t, http.StatusCreated)
	w.Do(t, "POST", "/v1/nudges/"+got[2].ID+"/ack", ana, nil).Want(t, http.StatusOK)
	w.Do(t, "POST", "/v1/nudges/"+got[2].ID+"/dismiss", ana, nil).WantProblem(t, http.StatusConflict, "id")
	w.Do(t, "POST", "/v1/nudges/"+got[1].ID+"/dismiss", ana, nil).Want(t, http.StatusCreated)
	ben := w.Key(t, "acme", auth.Member, "ben")
	w.Do(t, "POST", "/v1/nudges/"+got[0].ID+"/ack", ben, nil).WantProblem(t, http.StatusNotFound, "id")
	w.Do(t, "POST", "/v1/nudges/"+got[0].ID+"/ack", ben, `{"member":"ana"}`).WantProblem(t, http.StatusForbidden, "member")
	w.Do(t, "GET", "/v1/members/ana/nudges", ben, nil).WantProblem(t, http.StatusForbidden, "member")
	manager := w.Key(t, "acme", auth.Manager, "ben")
	w.Do(t, "GET", "/v1/members/ana/nudges", manager, nil).WantProblem(t, http.StatusForbidden, "member")
	w.CaughtUp(t, 10*time.Second)
	w.Do(t, "GET", "/v1/members/ana/nudges", w.admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Nudges) != 3 || list.Nudges[0].State != rules.StateAcknowledged || list.Nudges[1].State != rules.StateDismissed ||
		list.Nudges[2].State != rules.StateDelivered {
		t.Errorf("ana's nudges after settling: %+v", list)
	}
	wantMetrics := func(what string) {
		t.Helper()
		body := string(w.Do(t, "GET", "/metrics", "", nil).Want(t, http.StatusOK).Body)
		for _, line := range []string{
			`plaudit_rules_nudges_total{kind="wellness",outcome="issued"} 3`,
			`plaudit_rules_nudges_total{kind="wellness",outcome="delivered"} 3`,
			`plaudit_rules_nudges_total{kind="wellness",outcome="skipped_daily_cap"} 1`,
			`plaudit_rules_nudges_total{kind="wellness",outcome="skipped_not_wanted"} 1`,
			`plaudit_rules_rating_kudos_total{outcome="given"} 1`,
		} {
			if !strings.Contains(body, line+"\n") {
				t.Errorf("%s: /metrics lacks %s", what, line)
			}
		}
	}
	wantMetrics("live")
	replayIsSilent(t, w)
	wantMetrics("after a rebuild and a storm")
}

// TestQuietHoursAcrossZones: a nudge due in the member's quiet hours (their
// zone, the tenant's default 20:00–08:00 or their own) is issued at once,
// counted on the day it will be delivered, and delivered by the engine's
// timers when the quiet hours end; never before. Worked out by hand, at
// Mon 30 Nov 08:30 UTC:
//
//	kiri, Pacific/Auckland (UTC+13): 21:30, quiet until Tue 08:00 NZDT = Mon 19:00 UTC, day 12-01
//	lee, America/Los_Angeles (UTC-8): 00:30, quiet until 08:00 PST = Mon 16:00 UTC, day 11-30;
//	     then lee moves their quiet hours to 07:00–09:00: delivered at 09:00 PST, 17:00 UTC
//	noa, Los Angeles, own quiet hours 01:00–06:00: 00:30 is not quiet, delivered at once
//	mo, Europe/Lisbon (UTC+0): 08:30, quiet ended at 08:00, delivered at once
//	pat, Auckland like kiri, deferred like kiri, but leaves before 19:00: cancelled then
//	rua, who left before the rating: never nudged
func TestQuietHoursAcrossZones(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC)
	w := newWorld(t, now)
	w.Seed(t, w.admin,
		enginetest.Member{ID: "kiri", Team: "apac", TimeZone: "Pacific/Auckland"},
		enginetest.Member{ID: "lee", Team: "amer", TimeZone: "America/Los_Angeles"},
		enginetest.Member{ID: "noa", Team: "amer", TimeZone: "America/Los_Angeles"},
		enginetest.Member{ID: "mo", Team: "emea", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "pat", Team: "apac", TimeZone: "Pacific/Auckland"},
		enginetest.Member{ID: "rua", Team: "apac", TimeZone: "Pacific/Auckland"})
	w.policy(t, `{"nudges":{"wellness":"opt_out"}}`)
	w.prefs(t, "noa", `{"quiet_hours":{"start":"01:00","end":"06:00"}}`)
	w.Do(t, "DELETE", "/v1/members/rua", w.admin, nil).Want(t, http.StatusCreated)
	for _, m := range []string{"kiri", "lee", "noa", "mo", "pat", "rua"} {
		w.rate(t, rating("hard-"+m, m, 1, event.ScaleCSAT5, 6*time.Minute, now.Add(-time.Minute)))
	}
	w.Do(t, "DELETE", "/v1/members/pat", w.admin, nil).Want(t, http.StatusCreated)
	got := w.wantNudges(t, "after the ratings", 5)
	byMember := map[string]nudge{}
	for _, n := range got {
		byMember[n.Member] = n
	}
	kiriDue, leeDue := time.Date(2026, 11, 30, 19, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	wantNudge(t, byMember["kiri"], "kiri", event.NudgeWellness, event.ReasonLowRating, "", "2026-12-01", kiriDue)
	wantNudge(t, byMember["lee"], "lee", event.NudgeWellness, event.ReasonLowRating, "", "2026-11-30", leeDue)
	wantNudge(t, byMember["noa"], "noa", event.NudgeWellness, event.ReasonLowRating, "", "2026-11-30", now)
	wantNudge(t, byMember["mo"], "mo", event.NudgeWellness, event.ReasonLowRating, "", "2026-11-30", now)
	wantNudge(t, byMember["pat"], "pat", event.NudgeWellness, event.ReasonLowRating, "", "2026-12-01", kiriDue)
	for m, delivered := range map[string]bool{"kiri": false, "lee": false, "noa": true, "mo": true, "pat": false} {
		if byMember[m].Delivered != delivered {
			t.Errorf("%s's nudge delivered %v, want %v", m, byMember[m].Delivered, delivered)
		}
	}
	kiri := w.Key(t, "acme", auth.Member, "kiri")
	w.Do(t, "POST", "/v1/nudges/"+byMember["kiri"].ID+"/ack", kiri, nil).WantProblem(t, http.StatusConflict, "id")

	// A minute before lee's quiet hours end, the timers deliver nothing.
	w.clock.Set(leeDue.Add(-time.Minute))
	if err := w.rules.DeliverDue(context.Background(), w.Runners[rules.Name], w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := w.nudges(t); n[0].Delivered != byMember[n[0].Member].Delivered || countDelivered(n) != 2 {
		t.Errorf("delivered before the quiet hours ended: %+v", n)
	}
	// lee has moved their quiet hours to 07:00–09:00 meanwhile: at 08:00
	// there (16:00 UTC) the nudge waits for them to end, at 17:00 UTC.
	w.prefs(t, "lee", `{"quiet_hours":{"start":"07:00","end":"09:00"}}`)
	w.clock.Set(leeDue)
	if err := w.rules.DeliverDue(context.Background(), w.Runners[rules.Name], w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := w.nudges(t); find(n, "lee").Delivered || find(n, "lee").Cancelled != "" {
		t.Errorf("delivered in lee's new quiet hours: %+v", find(n, "lee"))
	}
	// Then the engine's own timers deliver lee's, and later kiri's.
	w.clock.Set(leeDue.Add(time.Hour))
	w.waitNudges(t, "lee's nudge delivered", func(n []nudge) bool { return countDelivered(n) == 3 })
	if n := w.nudges(t); !find(n, "lee").Delivered || find(n, "kiri").Delivered || find(n, "lee").DeliveredAt.Before(leeDue.Add(time.Hour)) {
		t.Errorf("at 17:00 UTC: %+v", n)
	}
	w.clock.Set(kiriDue.Add(30 * time.Second))
	n := w.waitNudges(t, "kiri's nudge delivered", func(n []nudge) bool { return countDelivered(n) == 4 })
	if d := find(n, "kiri").DeliveredAt; d.Before(kiriDue) {
		t.Errorf("kiri's nudge delivered at %s, before %s", d, kiriDue)
	}
	n = w.waitNudges(t, "pat's nudge cancelled", func(n []nudge) bool { return find(n, "pat").Cancelled != "" })
	if p := find(n, "pat"); p.Delivered || p.Cancelled != event.CancelLeft {
		t.Errorf("the nudge of a member who left: %+v", p)
	}
	w.CaughtUp(t, 10*time.Second)
	w.Do(t, "POST", "/v1/nudges/"+byMember["kiri"].ID+"/ack", kiri, nil).Want(t, http.StatusCreated)
	replayIsSilent(t, w)
}

func countDelivered(ns []nudge) int {
	n := 0
	for _, x := range ns {
		if x.Delivered {
			n++
		}
	}
	return n
}

func find(ns []nudge, member string) nudge {
	for _, n := range ns {
		if n.Member == member {
			return n
		}
	}
	return nudge{}
}

// replayIsSilent: a full replay of the rules engine, replicas reading the
// whole stream at once (a redelivery storm of every cause), and the timers
// sweeping and delivering again, emit nothing.
func replayIsSilent(t *testing.T, w *world) {
	t.Helper()
	w.CaughtUp(t, 10*time.Second)
	last := w.StreamLastSeq(t)
	rebuild(t, w.Engine)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			mod := rules.Module()
			mod.Projection.(rules.Projection).UseCommands(w.Command)
			reg := prometheus.NewRegistry()
			mod.Projection.(rules.Projection).UseMetrics(reg)
			defer func() {
				// Every cause was acted on before: a replica counts nothing.
				families, err := reg.Gather()
				if err != nil {
					t.Error(err)
				}
				for _, f := range families {
					for _, m := range f.GetMetric() {
						if c := m.GetCounter(); c != nil && c.GetValue() != 0 {
							t.Errorf("replica %d counted %s %v = %v", i, f.GetName(), m.GetLabel(), c.GetValue())
						}
					}
				}
			}()
			r, err := projector.New(mod.Projection, projector.Config{Stream: w.Store, Dir: t.TempDir(), Replica: "storm" + string(rune('a'+i))})
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			if err := projtest.RunTo(r, last, 10*time.Second); err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
			if r.LastSeq() < last {
				t.Errorf("replica %d at %d of %d", i, r.LastSeq(), last)
			}
			if err := mod.Projection.(rules.Projection).DeliverDue(context.Background(), r, w.clock.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	w.sweep(t)
	if err := w.rules.DeliverDue(context.Background(), w.Runners[rules.Name], w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if now := w.StreamLastSeq(t); now != last {
		t.Errorf("replay, redelivery and timers appended %d events", now-last)
	}
}

// TestNudgesCancelled: a nudge deferred by quiet hours is cancelled, not
// delivered, when it falls due after the member turned its kind off, or
// once it has expired (the engine's timers were away past its life).
// Worked out by hand, all in Lisbon (UTC in winter), quiet 20:00–08:00,
// wellness opt_out:
//
//	Mon 23:00  ana, ben and cat each rate a hard call: three nudges,
//	           due Tue 08:00, expiring at 12:00 (a wellness nudge's
//	           life is 4 hours); then ben turns wellness off
//	Tue 08:00  the timers: ana's and cat's delivered, ben's cancelled (not_wanted)
//	Tue 10:00  daily cap 1; ben turns wellness on, and ben and ana rate hard calls:
//	           ben's day has room again (the cancelled nudge gave it back), ana's not
//	Tue 23:00  cat rates another hard call: due Wed 08:00, expiring at 12:00
//	Wed 12:30  the timers, away until now: cat's cancelled (expired)
func TestNudgesCancelled(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	w := newWorld(t, mon)
	w.seedLisbon(t, "support", "", "ana", "ben", "cat")
	w.policy(t, `{"nudges":{"wellness":"opt_out"}}`)
	for _, m := range []string{"ana", "ben", "cat"} {
		w.rate(t, rating("late-"+m, m, 1, event.ScaleStars5, 5*time.Minute, mon.Add(-time.Minute)))
	}
	due := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	got := w.wantNudges(t, "Monday 23:00", 3)
	for _, n := range got {
		wantNudge(t, n, n.Member, event.NudgeWellness, event.ReasonLowRating, "", "2026-12-01", due)
		if !n.ExpiresAt.Equal(due.Add(rules.WellnessLife)) {
			t.Errorf("%s's nudge expires at %s, want %s", n.Member, n.ExpiresAt, due.Add(rules.WellnessLife))
		}
	}
	w.prefs(t, "ben", `{"nudges":{"wellness":"off"}}`)
	w.Do(t, "PUT", "/v1/members/ben/preferences", w.admin, `{"nudges":{"wellness":"off","x":"on"}}`).
		WantProblem(t, http.StatusBadRequest, "nudges.x")

	w.clock.Set(due)
	n := w.waitNudges(t, "the nudges due at 08:00 delivered or cancelled", func(n []nudge) bool {
		return find(n, "ana").Delivered && find(n, "cat").Delivered && find(n, "ben").Cancelled != ""
	})
	if b := find(n, "ben"); b.Cancelled != event.CancelNotWanted || b.Delivered {
		t.Errorf("ben's nudge: %+v", b)
	}
	// The cancelled nudge gave ben's day its place back: with a cap of 1,
	// ben, who turns wellness on again, is nudged once more that day.
	w.policy(t, `{"nudges":{"wellness":"opt_out","daily_cap":1}}`)
	w.prefs(t, "ben", `{"nudges":{"wellness":"on"}}`)
	w.clock.Set(due.Add(2 * time.Hour))
	w.rate(t, rating("ben-10am", "ben", 1, event.ScaleStars5, 5*time.Minute, due.Add(2*time.Hour-time.Minute)))
	w.rate(t, rating("ana-10am", "ana", 1, event.ScaleStars5, 5*time.Minute, due.Add(2*time.Hour-time.Minute)))
	n = w.nudges(t)
	if len(n) != 4 || n[3].Member != "ben" || !n[3].Delivered || n[3].Day != "2026-12-01" {
		t.Fatalf("after ben's cancelled nudge, with a cap of 1 (ana's day full): %+v", n)
	}

	tue := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	w.clock.Set(tue)
	w.rate(t, rating("late-cat-2", "cat", 1, event.ScaleStars5, 5*time.Minute, tue.Add(-time.Minute)))
	w.clock.Set(time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC))
	n = w.waitNudges(t, "cat's second nudge cancelled", func(n []nudge) bool { return len(n) == 5 && n[4].Cancelled != "" })
	if c := n[4]; c.Member != "cat" || c.Cancelled != event.CancelExpired || c.Delivered || c.Day != "2026-12-02" {
		t.Errorf("cat's second nudge: %+v", c)
	}
	replayIsSilent(t, w)
}

// deliveredOn reads the nudge deliveries a consumer filtering on subject
// gets, as a chat integration would.
func deliveredOn(t *testing.T, w *world, subject string) []event.NudgeDelivered {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := w.Store.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var out []event.NudgeDelivered
	for {
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			env, err := event.Parse(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			d, err := env.Decode()
			if err != nil {
				t.Fatal(err)
			}
			nd, ok := d.(event.NudgeDelivered)
			if !ok {
				t.Fatalf("%s on %s", env.Type, m.Subject())
			}
			out = append(out, nd)
		}
		if n == 0 {
			return out
		}
	}
}

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

// TestRulesAlone is "plauditd projector rules" in process: the rules engine
// runs as its own service against another engine's NATS, gives the kudos a
// rating earns through its own command service, and its timers sweep for
// gap nudges by asking the density projection, which runs in the other
// engine, over NATS.
func TestRulesAlone(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	w, alone := startAlone(t, t0)
	w.policy(t, `{"nudges":{"gap":"opt_out","quiet_hours":{"start":"00:00","end":"00:00"}}}`)
	w.seedLisbon(t, "ops", "", "mgr")
	w.seedLisbon(t, "ops", "mgr", "a")
	if _, ok := alone.Runners[rules.Name]; !ok || len(alone.Runners) != 1 {
		t.Fatalf("the service runs %v", alone.Runners)
	}
	rated := w.Do(t, "POST", "/v1/ratings", w.publisher, rating("c-1", "a", 5, event.ScaleStars5, time.Minute, t0.Add(-time.Minute))).
		Want(t, http.StatusCreated).Str("id")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.ruleKudos(t)
		if len(got) == 1 && got[0].CauseID == rated && got[0].Agent == "a" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rules service gave %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Sixteen days on, a has not been recognised since (the rule kudos was
	// on day 0), and the service's timers nudge mgr, once.
	w.clock.Set(t0.Add(16 * 24 * time.Hour))
	n := w.waitNudges(t, "a gap nudge from the rules service", func(n []nudge) bool { return len(n) == 1 })
	wantNudge(t, n[0], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "a", "2026-11-17", t0.Add(16*24*time.Hour))
	w.clock.Set(t0.Add(16*24*time.Hour + 20*time.Minute)) // another sweep
	time.Sleep(2 * rules.PollEvery)
	if got := w.nudges(t); len(got) != 1 {
		t.Errorf("after another sweep: %+v", got)
	}
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
