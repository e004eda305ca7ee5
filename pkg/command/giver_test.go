package command

import (
	"context"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// Ids of the kudos and retractions in the giver tests.
const (
	kudos1   = "01a207c7-d870-7dfc-af0c-706a8b43b1c1"
	kudos2   = "01a207c7-d870-7dfc-af0c-706a8b43b1c2"
	kudos3   = "01a207c7-d870-7dfc-af0c-706a8b43b1c3"
	retract1 = "01a207c7-d870-7dfc-af0c-706a8b43b1d1"
	retract2 = "01a207c7-d870-7dfc-af0c-706a8b43b1d2"
)

// spent is ana's kudos id to ben, spending n points in period.
func spent(id, period string, n int) stored {
	return stored{id: id, at: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), data: event.KudosGiven{
		Giver: "ana", Recipients: []string{"ben"}, Message: "Thanks for the careful review of the refund flow",
		Values: []string{}, Points: n, Visibility: event.Public, Channel: event.ChannelAPI, Period: period, Spent: n,
	}}
}

// refunded is a retraction of ana's kudos giving n points back in period.
func refunded(id, kudosID, period string, n int) stored {
	return stored{id: id, at: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), data: event.KudosRetracted{
		KudosID: kudosID, Giver: "ana", By: "ana", ByRole: event.ByGiver, Reason: "sent to the wrong person", Period: period, Refunded: n,
	}}
}

func TestDecideGive(t *testing.T) {
	t.Parallel()
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	kudos := func(points int, to ...string) event.KudosGiven {
		return event.KudosGiven{Giver: "ana", Recipients: to, Message: "Thanks for pairing on the invoice export",
			Values: []string{}, Points: points, Visibility: event.Public, Channel: event.ChannelAPI}
	}
	decided := func(k event.KudosGiven, period string) []event.Data {
		k.Period, k.Spent = period, k.Points*len(k.Recipients)
		return []event.Data{k}
	}
	lowered := event.DefaultPolicy()
	lowered.Allowance.Amount = 3
	tests := []struct {
		name   string
		given  history
		zone   string           // ana's; Lisbon when empty
		policy *event.PolicySet // the default (5 a day) when nil
		boosts []event.AllowanceBoosted
		now    time.Time
		when   event.KudosGiven
		then   then
	}{
		{name: "first kudos of the day", now: noon, when: kudos(2, "ben", "cai"),
			then: then{events: decided(kudos(2, "ben", "cai"), "day:2026-11-23"), ids: []string{kudos3}}},
		{name: "what is left", given: history{spent(kudos1, "day:2026-11-23", 3)}, now: noon, when: kudos(2, "ben"),
			then: then{events: decided(kudos(2, "ben"), "day:2026-11-23")}},
		{name: "one point over", given: history{spent(kudos1, "day:2026-11-23", 4)}, now: noon, when: kudos(2, "ben"),
			then: then{refused: ErrAllowanceExceeded}},
		{name: "points times recipients", given: history{spent(kudos1, "day:2026-11-23", 2)}, now: noon, when: kudos(2, "ben", "cai"),
			then: then{refused: ErrAllowanceExceeded}},
		{name: "a refund gives room", now: noon, when: kudos(5, "ben"),
			given: history{spent(kudos1, "day:2026-11-23", 5), refunded(retract1, kudos1, "day:2026-11-23", 5)},
			then:  then{events: decided(kudos(5, "ben"), "day:2026-11-23")}},
		{name: "yesterday's spending does not count", given: history{spent(kudos1, "day:2026-11-22", 5)}, now: noon, when: kudos(5, "ben"),
			then: then{events: decided(kudos(5, "ben"), "day:2026-11-23")}},
		// 12:00 UTC is already the 24th in Auckland.
		{name: "the period is the giver's", zone: "Pacific/Auckland", given: history{spent(kudos1, "day:2026-11-23", 5)}, now: noon, when: kudos(5, "ben"),
			then: then{events: decided(kudos(5, "ben"), "day:2026-11-24")}},
		{name: "a boost of the giver's team raises the limit", given: history{spent(kudos1, "day:2026-11-23", 5)}, now: noon, when: kudos(3, "ben"),
			boosts: []event.AllowanceBoosted{{Team: "support", Points: 3, From: "2026-11-23", To: "2026-11-23"}},
			then:   then{events: decided(kudos(3, "ben"), "day:2026-11-23")}},
		{name: "a boost counts its points only", given: history{spent(kudos1, "day:2026-11-23", 5)}, now: noon, when: kudos(4, "ben"),
			boosts: []event.AllowanceBoosted{{Team: "support", Points: 3, From: "2026-11-23", To: "2026-11-23"}},
			then:   then{refused: ErrAllowanceExceeded}},
		// An allowance refusal tells the giver to wait for the reset; a
		// kudos the stream would not take is refused for what it is.
		{name: "more points than a kudos carries", now: noon, when: kudos(101, "ben"), then: then{invalid: "points"}},
		{name: "points that spend more than a kudos may", now: noon, when: kudos(101, "ben", "cai"), then: then{invalid: "points"}},
		{name: "a recipient twice", given: history{spent(kudos1, "day:2026-11-23", 4)}, now: noon, when: kudos(1, "ben", "ben"),
			then: then{invalid: "to"}},
		{name: "no points once the limit was lowered", policy: &lowered, given: history{spent(kudos1, "day:2026-11-23", 5)}, now: noon,
			when: kudos(0, "ben"), then: then{invalid: "points"}},
		// Within the allowance, a kudos the stream would not take is left
		// to the schema, when it is appended.
		{name: "a recipient twice, within the allowance", now: noon, when: kudos(1, "ben", "ben"),
			then: then{events: decided(kudos(1, "ben", "ben"), "day:2026-11-23")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			zone := tt.zone
			if zone == "" {
				zone = "Europe/Lisbon"
			}
			policy := event.DefaultPolicy()
			if tt.policy != nil {
				policy = *tt.policy
			}
			st := given(t, &giverState{}, tt.given)
			in := giveInputs{tenant: tenant, id: kudos3, policy: policy, giver: member("ana", "support", zone), boosts: tt.boosts}
			d, err := decideGive(st, tt.when, in, tt.now)
			tt.then.check(t, d, err)
		})
	}
}

func TestDecideGiveAllowanceError(t *testing.T) {
	t.Parallel()
	lisbon := mustZone(t, "Europe/Lisbon")
	st := given(t, &giverState{}, history{spent(kudos1, "day:2026-11-23", 4)})
	in := giveInputs{tenant: tenant, id: kudos3, policy: event.DefaultPolicy(), giver: member("ana", "support", "Europe/Lisbon")}
	k := event.KudosGiven{Giver: "ana", Recipients: []string{"ben"}, Message: "Thanks for the release notes",
		Values: []string{}, Points: 2, Visibility: event.Public, Channel: event.ChannelAPI}
	_, err := decideGive(st, k, in, time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC))
	want := &AllowanceError{Requested: 2, Limit: 5, Spent: 4, Remaining: 1, Period: "day:2026-11-23",
		ResetsAt: time.Date(2026, 11, 24, 0, 0, 0, 0, lisbon)}
	ae, ok := err.(*AllowanceError)
	if !ok || !ae.ResetsAt.Equal(want.ResetsAt) {
		t.Fatalf("refusal %v, want %v", err, want)
	}
	if ae.ResetsAt = want.ResetsAt; *ae != *want {
		t.Errorf("refusal %+v, want %+v", *ae, *want)
	}
}

func TestDecideRetract(t *testing.T) {
	t.Parallel()
	sameDay := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	nextDay := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	k := Kudos{ID: kudos1, KudosGiven: spent(kudos1, "day:2026-11-20", 4).data.(event.KudosGiven)}
	retraction := func(by, role string, refund int) []event.Data {
		return []event.Data{event.KudosRetracted{KudosID: kudos1, Giver: "ana", By: by, ByRole: role,
			Reason: "sent to the wrong person", Period: "day:2026-11-20", Refunded: refund}}
	}
	byGiver := RetractKudos{Tenant: tenant, KudosID: kudos1, By: "ana", ByRole: event.ByGiver, Reason: "sent to the wrong person"}
	byAdmin := RetractKudos{Tenant: tenant, KudosID: kudos1, By: "k_0123456789ab", ByRole: event.ByAdmin, Reason: "sent to the wrong person"}
	byBen := RetractKudos{Tenant: tenant, KudosID: kudos1, By: "ben", ByRole: event.ByGiver, Reason: "sent to the wrong person"}
	tests := []struct {
		name  string
		given history
		now   time.Time
		when  RetractKudos
		id    string // the retraction's; retract2 when empty
		then  then
	}{
		{name: "by the giver, the same day", given: history{spent(kudos1, "day:2026-11-20", 4)}, now: sameDay, when: byGiver,
			then: then{events: retraction("ana", event.ByGiver, 4), ids: []string{retract2}}},
		{name: "by the giver, the next day", given: history{spent(kudos1, "day:2026-11-20", 4)}, now: nextDay, when: byGiver,
			then: then{events: retraction("ana", event.ByGiver, 0)}},
		{name: "by an admin", given: history{spent(kudos1, "day:2026-11-20", 4)}, now: sameDay, when: byAdmin,
			then: then{events: retraction("k_0123456789ab", event.ByAdmin, 4)}},
		{name: "by another member", given: history{spent(kudos1, "day:2026-11-20", 4)}, now: sameDay, when: byBen,
			then: then{refused: ErrForbidden, field: "id"}},
		{name: "twice", now: sameDay, when: byGiver,
			given: history{spent(kudos1, "day:2026-11-20", 4), refunded(retract1, kudos1, "day:2026-11-20", 4)},
			then:  then{refused: ErrConflict, field: "id"}},
		{name: "retried", now: sameDay, when: byGiver, id: retract1,
			given: history{spent(kudos1, "day:2026-11-20", 4), refunded(retract1, kudos1, "day:2026-11-20", 4)},
			then:  then{replay: 2}},
		{name: "by an admin after the giver", now: sameDay, when: byAdmin,
			given: history{spent(kudos1, "day:2026-11-20", 4), refunded(retract1, kudos1, "day:2026-11-20", 4)},
			then:  then{refused: ErrConflict}},
		// Who may retract is decided before whether it was: a bystander
		// learns nothing of a retraction.
		{name: "by another member, once retracted", now: sameDay, when: byBen,
			given: history{spent(kudos1, "day:2026-11-20", 4), refunded(retract1, kudos1, "day:2026-11-20", 4)},
			then:  then{refused: ErrForbidden}},
		{name: "another kudos retracted", now: sameDay, when: byGiver,
			given: history{spent(kudos1, "day:2026-11-20", 4), spent(kudos2, "day:2026-11-20", 1), refunded(retract1, kudos2, "day:2026-11-20", 1)},
			then:  then{events: retraction("ana", event.ByGiver, 4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := tt.id
			if id == "" {
				id = retract2
			}
			st := given(t, &giverState{}, tt.given)
			in := retractInputs{kudos: k, id: id, period: event.PeriodDay, giver: member("ana", "support", "Europe/Lisbon")}
			d, err := decideRetract(st, tt.when, in, tt.now)
			tt.then.check(t, d, err)
		})
	}
}

// TestGiveConditionedOnKudosGivenOnly: a give is conditioned on the giver's
// kudos given alone, so a retraction appended meanwhile through another
// service neither makes it conflict nor has it read the giver's events
// again: its cached state still misses the retraction afterwards.
func TestGiveConditionedOnKudosGivenOnly(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, t.TempDir())
	st := testenv.Store(t, srv)
	// The directory is not run: the members upserted below reach it as
	// they are appended.
	dir := NewDirectory()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	a, b := NewService(st, dir, now), NewService(st, dir, now)
	for _, m := range []string{"ana", "ben"} {
		if _, err := a.UpsertMember(ctx, UpsertMember{Tenant: tenant, MemberUpserted: member(m, "support", "Europe/Lisbon").MemberUpserted}); err != nil {
			t.Fatal(err)
		}
	}
	give := func() eventstore.Appended {
		t.Helper()
		res, err := a.GiveKudos(ctx, GiveKudos{Tenant: tenant, From: "ana", To: []string{"ben"}, Message: "Thanks for pairing on the invoice export",
			Points: 1, Visibility: event.Public, Channel: event.ChannelAPI})
		if err != nil || len(res.Events) != 1 || res.Replayed {
			t.Fatalf("give = %+v, %v", res, err)
		}
		return res.Events[0]
	}
	k := give()
	res, err := b.RetractKudos(ctx, RetractKudos{Tenant: tenant, KudosID: k.ID, By: "ana", ByRole: event.ByGiver, Reason: "sent twice"})
	if err != nil {
		t.Fatal(err)
	}
	retracted := res.Events[0].Seq
	last := give()

	g := a.giver(tenant, "ana")
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.state.retracted[k.ID]; ok || g.seq >= retracted {
		t.Errorf("the give read the giver's events up to %d, the retraction at %d included", g.seq, retracted)
	}
	if g.state.given != last.Seq || g.state.ledger.Spent("day:2026-11-23") != 2 {
		t.Errorf("the giver's state has given %d and %d spent, want %d and 2 (the refund unseen)",
			g.state.given, g.state.ledger.Spent("day:2026-11-23"), last.Seq)
	}
}
