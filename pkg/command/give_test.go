package command_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// raceOutcome collects what n racing gives returned.
type raceOutcome struct {
	mu      sync.Mutex
	ok      []eventstore.Appended
	refused []*command.AllowanceError
	other   []error
}

func (o *raceOutcome) add(res command.Result, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ae *command.AllowanceError
	switch {
	case err == nil && !res.Replayed && len(res.Events) == 1:
		o.ok = append(o.ok, res.Events[0])
	case errors.As(err, &ae):
		o.refused = append(o.refused, ae)
	case err == nil:
		o.other = append(o.other, fmt.Errorf("unexpected result %+v", res))
	default:
		o.other = append(o.other, err)
	}
}

// raceGives gives c n times at once, through services in turn, and
// collects what the gives returned.
func raceGives(h *harness, n int, c command.GiveKudos, services ...*command.Service) *raceOutcome {
	var out raceOutcome
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		svc := services[i%len(services)]
		wg.Go(func() {
			<-start
			out.add(svc.GiveKudos(h.ctx(), c))
		})
	}
	close(start)
	wg.Wait()
	return &out
}

// check fails the test unless exactly wantOK gives succeeded and all others
// were refused with nothing left and a reset at resets.
func (o *raceOutcome) check(t *testing.T, n, wantOK int, resets time.Time) {
	t.Helper()
	for _, err := range o.other {
		t.Errorf("give failed otherwise: %v", err)
	}
	if len(o.ok) != wantOK || len(o.refused) != n-wantOK {
		t.Fatalf("%d gives succeeded and %d were refused, want %d and %d", len(o.ok), len(o.refused), wantOK, n-wantOK)
	}
	seen := map[string]bool{}
	for _, a := range o.ok {
		if seen[a.ID] {
			t.Errorf("event %s returned twice", a.ID)
		}
		seen[a.ID] = true
	}
	for _, ae := range o.refused {
		if ae.Remaining != 0 || ae.Requested != 1 || ae.Spent != ae.Limit || !ae.ResetsAt.Equal(resets) {
			t.Errorf("refusal %+v, want 0 remaining of %d, resetting at %v", *ae, ae.Limit, resets)
			break
		}
	}
}

// TestGiveKudosRace: a hundred gives from one giver race for five points.
// Exactly five are stored, whatever the interleaving.
func TestGiveKudosRace(t *testing.T) {
	t.Parallel()
	la := mustLoc(t, "America/Los_Angeles")
	// 20:00 in Los Angeles is already the next day in UTC.
	h := newHarness(t, localTime(t, "2026-11-23 20:00", la))
	h.member("ana", "support", "America/Los_Angeles")
	h.member("ben", "support", "Europe/Lisbon")
	before := h.msgs()

	const n = 100
	out := raceGives(h, n, kudos("ana", 1, "ben"), h.svc)

	// The allowance resets at midnight in the giver's zone, not UTC's.
	out.check(t, n, 5, localTime(t, "2026-11-24 00:00", la))
	given := givenBy(t, h.store, "ana")
	if k, spent := sumSpent(given, ""); k != 5 || spent != 5 {
		t.Errorf("stream holds %d kudos spending %d, want 5 spending 5", k, spent)
	}
	for _, k := range given {
		if k.Period != "day:2026-11-23" {
			t.Errorf("kudos counted against %s, want day:2026-11-23", k.Period)
		}
	}
	if got := h.msgs(); got != before+5 {
		t.Errorf("stream grew by %d events, want 5", got-before)
	}
}

// TestGiveKudosRaceAcrossServices races two services, each with its own
// directory and giver cache, on one stream: only the conditional append
// stands between them and overspending.
func TestGiveKudosRaceAcrossServices(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	ha, hb := twoServices(t, localTime(t, "2026-11-22 12:00", lisbon))
	stA, svcA, svcB := ha.store, ha.svc, hb.svc

	// Warm both caches the day before: after B's give, A's cache of ana is
	// one event behind, so A must learn of B's kudos from a conflict.
	ha.give(kudos("ana", 1, "ben"))
	hb.give(kudos("ana", 1, "ben"))
	ha.clock.Set(localTime(t, "2026-11-23 12:00", lisbon))

	const n = 100
	out := raceGives(ha, n, kudos("ana", 1, "ben"), svcA, svcB)

	out.check(t, n, 5, localTime(t, "2026-11-24 00:00", lisbon))
	given := givenBy(t, stA, "ana")
	if k, spent := sumSpent(given, "day:2026-11-23"); k != 5 || spent != 5 {
		t.Errorf("stream holds %d kudos spending %d on the 23rd, want 5 spending 5", k, spent)
	}
	if k, _ := sumSpent(given, ""); k != 7 {
		t.Errorf("stream holds %d kudos of ana, want 7 (2 the day before)", k)
	}
	// Each service, asked again, agrees that nothing is left.
	for i, h := range []*harness{ha, hb} {
		if ae := h.refused(kudos("ana", 1, "ben"), 0, localTime(t, "2026-11-24 00:00", lisbon)); ae.Spent != 5 {
			t.Errorf("service %d sees %d spent, want 5", i, ae.Spent)
		}
	}
}

// TestGiveKudosPeriodResets: the allowance resets at the start of the
// giver's period in the giver's time zone.
func TestGiveKudosPeriodResets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		period string // "" keeps the default policy
		zone   string
		// Local times: spend all at spend, be refused at refuse (with the
		// reset at resets), be allowed again at allow.
		spend, refuse, resets, allow string
	}{
		// In Auckland 23:50 and 00:01 the next day are the same UTC day.
		{name: "day, Auckland", zone: "Pacific/Auckland", spend: "2026-03-10 23:50", refuse: "2026-03-10 23:59", resets: "2026-03-11 00:00", allow: "2026-03-11 00:01"},
		// In Los Angeles 23:50 is the next UTC day already.
		{name: "day, Los Angeles", zone: "America/Los_Angeles", spend: "2026-03-10 23:50", refuse: "2026-03-10 23:59", resets: "2026-03-11 00:00", allow: "2026-03-11 00:01"},
		{name: "day, Los Angeles, spring forward", zone: "America/Los_Angeles", spend: "2026-03-08 00:10", refuse: "2026-03-08 23:59", resets: "2026-03-09 00:00", allow: "2026-03-09 00:01"},
		{name: "week, Auckland", period: event.PeriodWeek, zone: "Pacific/Auckland", spend: "2026-03-09 09:00", refuse: "2026-03-15 23:59", resets: "2026-03-16 00:00", allow: "2026-03-16 00:01"},
		{name: "week, Lisbon, across the year", period: event.PeriodWeek, zone: "Europe/Lisbon", spend: "2026-12-28 09:00", refuse: "2027-01-03 23:59", resets: "2027-01-04 00:00", allow: "2027-01-04 00:01"},
		{name: "month, Auckland", period: event.PeriodMonth, zone: "Pacific/Auckland", spend: "2026-03-01 00:05", refuse: "2026-03-31 23:59", resets: "2026-04-01 00:00", allow: "2026-04-01 00:01"},
		{name: "month, Los Angeles", period: event.PeriodMonth, zone: "America/Los_Angeles", spend: "2026-02-28 23:00", refuse: "2026-02-28 23:59", resets: "2026-03-01 00:00", allow: "2026-03-01 00:01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, tt.zone)
			h := newHarness(t, localTime(t, tt.spend, loc))
			if tt.period != "" {
				p := event.DefaultPolicy()
				p.Allowance = event.Allowance{Amount: 5, Period: tt.period}
				h.setPolicy(p)
			}
			h.member("ana", "support", tt.zone)
			h.member("ben", "support", "UTC")
			h.member("cai", "sales", "Asia/Tokyo")

			h.give(kudos("ana", 2, "ben", "cai")) // 4 points
			h.give(kudos("ana", 1, "cai"))        // 5
			first := command.PeriodAt(cmp(tt.period, event.PeriodDay), h.clock.Now(), loc).Key

			h.clock.Set(localTime(t, tt.refuse, loc))
			ae := h.refused(kudos("ana", 1, "ben"), 0, localTime(t, tt.resets, loc))
			if ae.Period != first || ae.Limit != 5 || ae.Spent != 5 {
				t.Errorf("refusal %+v, want 5 of 5 spent in %s", *ae, first)
			}

			h.clock.Set(localTime(t, tt.allow, loc))
			h.give(kudos("ana", 5, "ben"))
			next := command.PeriodAt(cmp(tt.period, event.PeriodDay), h.clock.Now(), loc)
			h.refused(kudos("ana", 1, "ben"), 0, next.End)
			if next.Key == first {
				t.Fatalf("the period did not change: %s", first)
			}
			given := givenBy(t, h.store, "ana")
			if k, spent := sumSpent(given, first); k != 2 || spent != 5 {
				t.Errorf("%s holds %d kudos spending %d, want 2 spending 5", first, k, spent)
			}
			if k, spent := sumSpent(given, next.Key); k != 1 || spent != 5 {
				t.Errorf("%s holds %d kudos spending %d, want 1 spending 5", next.Key, k, spent)
			}
		})
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestGiveKudosBoost: a team boost for today raises the limit of every
// member of the team, today only.
func TestGiveKudosBoost(t *testing.T) {
	t.Parallel()
	auckland := mustLoc(t, "Pacific/Auckland")
	tests := []struct {
		name      string
		team      string
		member    string
		from, to  string
		wantToday int
	}{
		{name: "team boost today", team: "support", from: "2026-11-23", to: "2026-11-23", wantToday: 8},
		{name: "member boost over the week", member: "ana", from: "2026-11-20", to: "2026-11-27", wantToday: 8},
		{name: "another team", team: "sales", from: "2026-11-23", to: "2026-11-23", wantToday: 5},
		{name: "another member", member: "cai", from: "2026-11-23", to: "2026-11-23", wantToday: 5},
		{name: "ended yesterday", team: "support", from: "2026-11-16", to: "2026-11-22", wantToday: 5},
		// 23 November in Auckland is 22 November in UTC: the boost's dates
		// are the giver's.
		{name: "starts tomorrow", team: "support", from: "2026-11-24", to: "2026-11-24", wantToday: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, localTime(t, "2026-11-23 09:00", auckland))
			h.member("ana", "support", "Pacific/Auckland")
			h.member("ben", "support", "Pacific/Auckland")
			h.member("cai", "sales", "Pacific/Auckland")
			res, err := h.svc.BoostAllowance(h.ctx(), command.BoostAllowance{Tenant: acme, AllowanceBoosted: event.AllowanceBoosted{
				Team: tt.team, Member: tt.member, Points: 3, From: tt.from, To: tt.to, Reason: "peak week", By: "admin",
			}})
			if err != nil || len(res.Events) != 1 {
				t.Fatalf("boost = %+v, %v", res, err)
			}

			for range tt.wantToday {
				h.give(kudos("ana", 1, "ben"))
			}
			ae := h.refused(kudos("ana", 1, "ben"), 0, localTime(t, "2026-11-24 00:00", auckland))
			if ae.Limit != tt.wantToday {
				t.Errorf("limit %d, want %d", ae.Limit, tt.wantToday)
			}

			// The next day the boost counts only if its range covers it.
			h.clock.Set(localTime(t, "2026-11-24 09:00", auckland))
			want := 5
			if p := command.PeriodAt(event.PeriodDay, h.clock.Now(), auckland); p.Overlaps(tt.from, tt.to) &&
				(tt.team == "support" || tt.member == "ana") {
				want = 8
			}
			h.give(kudos("ana", want, "ben"))
			h.refused(kudos("ana", 1, "ben"), 0, localTime(t, "2026-11-25 00:00", auckland))
		})
	}
}

// TestGiveKudosValidation: every invalid command is refused with the field
// at fault, and the stream does not grow.
func TestGiveKudosValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.setPolicy(event.PolicySet{
		Allowance:    event.Allowance{Amount: 1000, Period: event.PeriodDay},
		Values:       []string{"ownership", "craft"},
		MessageRules: event.MessageRules{MinLength: 20, RejectGeneric: true},
	})
	for _, m := range []string{"ana", "ben", "cai", "dee", "eve"} {
		h.member(m, "support", "Europe/Lisbon")
	}
	h.leave("dee")
	h.leave("eve")
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("m-%02d", i)
	}

	tests := []struct {
		name   string
		change func(c *command.GiveKudos)
		field  string
	}{
		{name: "self", change: func(c *command.GiveKudos) { c.To = []string{"ana"} }, field: "to"},
		{name: "self among others", change: func(c *command.GiveKudos) { c.To = []string{"ben", "ana"} }, field: "to"},
		{name: "no recipients", change: func(c *command.GiveKudos) { c.To = nil }, field: "to"},
		{name: "duplicate recipients", change: func(c *command.GiveKudos) { c.To = []string{"ben", "cai", "ben"} }, field: "to"},
		{name: "unknown recipient", change: func(c *command.GiveKudos) { c.To = []string{"ben", "zed"} }, field: "to"},
		{name: "recipient who left", change: func(c *command.GiveKudos) { c.To = []string{"dee"} }, field: "to"},
		{name: "malformed recipient", change: func(c *command.GiveKudos) { c.To = []string{"Ben Smith"} }, field: "to"},
		{name: "21 recipients", change: func(c *command.GiveKudos) { c.To = many }, field: "to"},
		{name: "value not the tenant's", change: func(c *command.GiveKudos) { c.Values = []string{"ownership", "speed"} }, field: "values"},
		{name: "value twice", change: func(c *command.GiveKudos) { c.Values = []string{"craft", "craft"} }, field: "values"},
		{name: "malformed value", change: func(c *command.GiveKudos) { c.Values = []string{"Craft!"} }, field: "values"},
		{name: "zero points", change: func(c *command.GiveKudos) { c.Points = 0 }, field: "points"},
		{name: "negative points", change: func(c *command.GiveKudos) { c.Points = -3 }, field: "points"},
		{name: "101 points", change: func(c *command.GiveKudos) { c.Points = 101 }, field: "points"},
		{name: "bad visibility", change: func(c *command.GiveKudos) { c.Visibility = "secret" }, field: "visibility"},
		{name: "no visibility", change: func(c *command.GiveKudos) { c.Visibility = "" }, field: "visibility"},
		{name: "bad channel", change: func(c *command.GiveKudos) { c.Channel = "fax" }, field: "channel"},
		{name: "generic message", change: func(c *command.GiveKudos) { c.Message = "Great job, thanks so much everyone!!!" }, field: "message"},
		{name: "message over 2000 characters", change: func(c *command.GiveKudos) { c.Message = specificMessage + strings.Repeat(" é", 1000) }, field: "message"},
		{name: "cause without a type", change: func(c *command.GiveKudos) { c.Cause = &event.Cause{EventID: "rating-1"} }, field: "cause.type"},
		{name: "giver who left", change: func(c *command.GiveKudos) { c.From = "eve" }, field: "from"},
		{name: "unknown giver", change: func(c *command.GiveKudos) { c.From = "zed" }, field: "from"},
		{name: "unknown tenant", change: func(c *command.GiveKudos) { c.Tenant = "globex" }, field: "from"},
	}
	before := h.msgs()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kudos("ana", 1, "ben", "cai")
			c.Values = []string{"craft"}
			tt.change(&c)
			res, err := h.svc.GiveKudos(h.ctx(), c)
			wantRefusal(t, res, err, tt.field, nil)
			h.wantUnchanged(t, before)
		})
	}

	// The same command without the fault is accepted: the cases above fail
	// for their fault, not for something they share.
	t.Run("valid", func(t *testing.T) {
		c := kudos("ana", 100, "ben", "cai")
		c.Values = []string{"craft", "ownership"}
		c.Visibility = event.Private
		c.Message = "  " + specificMessage + "  "
		a := h.give(c)
		k := stored(t, h.store, a.ID).(event.KudosGiven)
		if k.Message != specificMessage || k.Spent != 200 || k.Points != 100 || k.Visibility != event.Private ||
			k.Period != "day:2026-11-23" || strings.Join(k.Values, ",") != "craft,ownership" || strings.Join(k.Recipients, ",") != "ben,cai" {
			t.Errorf("stored %+v", k)
		}
		if a.Subject != event.KudosSubject(acme, "ana", "given") {
			t.Errorf("stored on %s", a.Subject)
		}
	})
}

// TestGiveKudosRetry: a give retried with the same seed is answered with the
// original event, also when that event spent the last points.
func TestGiveKudosRetry(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	h := newHarness(t, localTime(t, "2026-11-23 12:00", lisbon))
	h.members("Europe/Lisbon", "ana", "ben")

	c := kudos("ana", 2, "ben")
	c.IDSeed = "key-1"
	first := h.give(c)
	again, err := h.svc.GiveKudos(h.ctx(), c)
	if err != nil || !again.Replayed || again.Events[0] != first {
		t.Fatalf("retry = %+v, %v; want a replay of %+v", again, err, first)
	}

	last := kudos("ana", 3, "ben")
	last.IDSeed = "key-2"
	spentAll := h.give(last)
	// A new service, as after a restart, and the same one: both answer the
	// retry with the stored kudos, not with a refusal.
	for name, svc := range map[string]*command.Service{
		"same service": h.svc,
		"new service":  command.NewService(h.store, h.dir, h.clock.Now),
	} {
		res, err := svc.GiveKudos(h.ctx(), last)
		if err != nil || !res.Replayed || len(res.Events) != 1 || res.Events[0] != spentAll {
			t.Errorf("%s: retry of the kudos that spent the last points = %+v, %v; want a replay of %+v", name, res, err, spentAll)
		}
	}
	if k, spent := sumSpent(givenBy(t, h.store, "ana"), ""); k != 2 || spent != 5 {
		t.Errorf("stream holds %d kudos spending %d, want 2 spending 5", k, spent)
	}
	// A new seed is a new kudos, and is refused.
	other := kudos("ana", 1, "ben")
	other.IDSeed = "key-3"
	h.refused(other, 0, localTime(t, "2026-11-24 00:00", lisbon))
}

// TestGiveAndRetractRaceAcrossServices races gives and retractions of one
// giver through two services on one stream. Gives are conditioned on the
// giver's kudos given only, retractions on the whole aggregate, so the test
// walks the stream in order and checks the invariant at every event: the
// net spend of the day never exceeds the allowance, and no kudos is
// retracted twice.
func TestGiveAndRetractRaceAcrossServices(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	ha, hb := twoServices(t, localTime(t, "2026-11-23 12:00", lisbon))
	stA, dirA, svcB := ha.store, ha.dir, hb.svc

	// Ana spends her five points, then both services retract every kudos
	// twice while both give as fast as they can.
	var first []string
	for range 5 {
		first = append(first, ha.give(kudos("ana", 1, "ben")).ID)
	}
	var (
		wg                                  sync.WaitGroup
		mu                                  sync.Mutex
		gives, retracts, refused, conflicts int
		other                               []error
	)
	start := make(chan struct{})
	// race runs op once start is closed and counts what it returned: nil
	// in ok, an error matching want in wanted, any other in other.
	race := func(op func() (command.Result, error), ok *int, want error, wanted *int) {
		wg.Go(func() {
			<-start
			_, err := op()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				*ok++
			case errors.Is(err, want):
				*wanted++
			default:
				other = append(other, err)
			}
		})
	}
	services := []*command.Service{ha.svc, svcB}
	for i, id := range append(first, first...) {
		svc := services[i%2]
		race(func() (command.Result, error) {
			return svc.RetractKudos(ha.ctx(), retraction(id, "ana", event.ByGiver))
		}, &retracts, command.ErrConflict, &conflicts)
	}
	for i := range 40 {
		svc := services[(i+1)%2]
		race(func() (command.Result, error) {
			return svc.GiveKudos(ha.ctx(), kudos("ana", 1, "ben"))
		}, &gives, command.ErrAllowanceExceeded, &refused)
	}
	close(start)
	wg.Wait()
	for _, err := range other {
		t.Errorf("unexpected error: %v", err)
	}
	t.Logf("%d gives succeeded, %d refused, %d retractions", gives, refused, retracts)
	if retracts != 5 {
		t.Errorf("%d retractions succeeded, want 5 (one per kudos)", retracts)
	}
	if gives+refused != 40 || gives > 5 {
		t.Errorf("%d gives succeeded and %d were refused, want at most 5 of 40", gives, refused)
	}

	net, retracted := 0, map[string]bool{}
	for _, r := range load(t, stA, event.GiverFilter(acme, "ana")) {
		switch d := decode(t, r).(type) {
		case event.KudosGiven:
			net += d.Spent
		case event.KudosRetracted:
			if retracted[d.KudosID] {
				t.Errorf("kudos %s retracted twice (again at %d)", d.KudosID, r.Seq)
			}
			retracted[d.KudosID] = true
			net -= d.Refunded
		}
		if net > 5 {
			t.Fatalf("at sequence %d ana has spent %d of 5", r.Seq, net)
		}
	}
	if net != 5-5+gives {
		t.Errorf("net spend %d, want %d", net, gives)
	}
	// Both services, and one folding the stream from scratch, agree on what
	// is left.
	fresh := command.NewService(stA, dirA, ha.clock.Now)
	for i, svc := range []*command.Service{ha.svc, svcB, fresh} {
		for range 5 - net {
			if _, err := svc.GiveKudos(ha.ctx(), kudos("ana", 1, "ben")); err != nil {
				t.Fatalf("service %d: give within what is left: %v", i, err)
			}
			net++
		}
		_, err := svc.GiveKudos(ha.ctx(), kudos("ana", 1, "ben"))
		var ae *command.AllowanceError
		if !errors.As(err, &ae) || ae.Spent != 5 || ae.Remaining != 0 {
			t.Errorf("service %d: give with nothing left = %v, want 5 of 5 spent", i, err)
		}
	}
}

// TestGiveKudosRefreshesBeforeRefusing: a service whose cache of the giver
// missed a refund made through another service reads the giver's events
// again before it refuses for the allowance, and so gives.
func TestGiveKudosRefreshesBeforeRefusing(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	ha, hb := twoServices(t, localTime(t, "2026-11-23 12:00", lisbon))
	var first eventstore.Appended
	for i := range 5 {
		k := ha.give(kudos("ana", 1, "ben"))
		if i == 0 {
			first = k
		}
	}
	if _, err := hb.svc.RetractKudos(hb.ctx(), retraction(first.ID, "ana", event.ByGiver)); err != nil {
		t.Fatalf("retract through the other service: %v", err)
	}
	// The first service's cache holds 5 of 5 spent; the stream, 4.
	ha.give(kudos("ana", 1, "ben"))
	ha.refused(kudos("ana", 1, "ben"), 0, localTime(t, "2026-11-24 00:00", lisbon))
}

// TestGiveKudosRetryBeyondDuplicateWindow: a give retried once JetStream
// has forgotten its event id (a chat message delivered again, an
// Idempotency-Key kept longer) is answered with the kudos it stored, by
// this service and by another, and stores nothing new.
func TestGiveKudosRetryBeyondDuplicateWindow(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	h := newForgetfulHarness(t, localTime(t, "2026-11-23 12:00", lisbon))
	h.members("Europe/Lisbon", "ana", "ben")
	c := kudos("ana", 1, "ben")
	c.IDSeed = "chat-message-1"
	first := h.give(c)
	h.waitPastDuplicateWindow()
	for name, svc := range map[string]*command.Service{
		"same service": h.svc,
		"new service":  command.NewService(h.store, h.dir, h.clock.Now),
	} {
		res, err := svc.GiveKudos(h.ctx(), c)
		if err != nil || !res.Replayed || len(res.Events) != 1 || res.Events[0] != first {
			t.Errorf("%s: retry after the window = %+v, %v; want a replay of %+v", name, res, err, first)
		}
	}
	if k, spent := sumSpent(givenBy(t, h.store, "ana"), ""); k != 1 || spent != 1 {
		t.Errorf("stream holds %d kudos spending %d, want 1 spending 1", k, spent)
	}
}

// TestGiveRefusalRules: gives refused by the rules of recognition name the
// rule they broke, as metrics count them.
func TestGiveRefusalRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.members("UTC", "ana", "bo")
	self := kudos("ana", 1, "bo", "ana")
	generic := kudos("ana", 1, "bo")
	generic.Message = "Great job, thanks so much!"
	for _, tt := range []struct {
		name string
		c    command.GiveKudos
		want string
	}{
		{"to oneself", self, command.RuleSelf},
		{"generic praise", generic, command.RuleGenericMessage},
		{"over the allowance", kudos("ana", 6, "bo"), command.RuleAllowance},
	} {
		_, err := h.svc.GiveKudos(h.ctx(), tt.c)
		if got := command.Refusal(err); got != tt.want {
			t.Errorf("%s: refused with %v, named %q; want %q", tt.name, err, got, tt.want)
		}
	}
}
