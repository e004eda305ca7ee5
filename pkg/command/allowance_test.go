package command_test

import (
	"errors"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	auckland := mustLoc(t, "Pacific/Auckland")
	ana := command.Member{MemberUpserted: event.MemberUpserted{Member: "ana", Team: "support", TimeZone: "Europe/Lisbon", Active: true}}
	akAna := command.Member{MemberUpserted: event.MemberUpserted{Member: "ana", Team: "support", TimeZone: "Pacific/Auckland", Active: true}}
	day := command.PeriodAt(event.PeriodDay, localTime(t, "2026-11-23 10:00", lisbon), lisbon)
	week := command.PeriodAt(event.PeriodWeek, localTime(t, "2026-11-23 10:00", lisbon), lisbon)
	// 23 November 10:00 in Auckland is 22 November in UTC and Lisbon.
	akDay := command.PeriodAt(event.PeriodDay, localTime(t, "2026-11-23 10:00", auckland), auckland)
	daily := event.DefaultPolicy()
	weekly := event.PolicySet{Allowance: event.Allowance{Amount: 20, Period: event.PeriodWeek}}

	boost := func(member, team string, points int, from, to string) event.AllowanceBoosted {
		return event.AllowanceBoosted{BoostID: "b", Member: member, Team: team, Points: points, From: from, To: to, By: "admin"}
	}
	tests := []struct {
		name   string
		policy event.PolicySet
		m      command.Member
		boosts []event.AllowanceBoosted
		p      command.Period
		want   int
	}{
		{name: "no boosts", policy: daily, m: ana, p: day, want: 5},
		{name: "member boost", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("ana", "", 3, "2026-11-23", "2026-11-23")}, p: day, want: 8},
		{name: "team boost", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("", "support", 3, "2026-11-20", "2026-11-30")}, p: day, want: 8},
		{name: "member and team boosts add up", policy: daily, m: ana, boosts: []event.AllowanceBoosted{
			boost("ana", "", 2, "2026-11-23", "2026-11-23"), boost("", "support", 3, "2026-11-01", "2026-11-23"),
		}, p: day, want: 10},
		{name: "boost for someone else", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("ben", "", 3, "2026-11-23", "2026-11-23")}, p: day, want: 5},
		{name: "boost for another team", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("", "sales", 3, "2026-11-23", "2026-11-23")}, p: day, want: 5},
		{name: "boost for nobody", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("", "", 3, "2026-11-23", "2026-11-23")}, p: day, want: 5},
		{name: "team boost does not reach a member without a team", policy: daily, m: command.Member{MemberUpserted: event.MemberUpserted{Member: "zed"}}, boosts: []event.AllowanceBoosted{boost("", "support", 3, "2026-11-23", "2026-11-23")}, p: day, want: 5},
		{name: "boost ended the day before", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("ana", "", 3, "2026-11-20", "2026-11-22")}, p: day, want: 5},
		{name: "boost starts the day after", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("", "support", 3, "2026-11-24", "2026-11-30")}, p: day, want: 5},
		{name: "boost with bad dates", policy: daily, m: ana, boosts: []event.AllowanceBoosted{boost("ana", "", 3, "tomorrow", "2026-11-30")}, p: day, want: 5},
		{name: "one day of a weekly period counts once", policy: weekly, m: ana, boosts: []event.AllowanceBoosted{boost("ana", "", 4, "2026-11-27", "2026-11-27")}, p: week, want: 24},
		{name: "boost before the week", policy: weekly, m: ana, boosts: []event.AllowanceBoosted{boost("ana", "", 4, "2026-11-16", "2026-11-22")}, p: week, want: 20},
		{name: "dates in the member's zone", policy: daily, m: akAna, boosts: []event.AllowanceBoosted{boost("ana", "", 3, "2026-11-23", "2026-11-23")}, p: akDay, want: 8},
		{name: "not in UTC", policy: daily, m: akAna, boosts: []event.AllowanceBoosted{boost("ana", "", 3, "2026-11-22", "2026-11-22")}, p: akDay, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := command.Limit(tt.policy, tt.m, tt.boosts, tt.p); got != tt.want {
				t.Errorf("Limit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLedger(t *testing.T) {
	t.Parallel()
	given := func(period string, spent int) event.Data {
		return event.KudosGiven{Giver: "ana", Recipients: []string{"ben"}, Points: spent, Period: period, Spent: spent}
	}
	retracted := func(period string, refunded int) event.Data {
		return event.KudosRetracted{Giver: "ana", Period: period, Refunded: refunded}
	}
	tests := []struct {
		name  string
		given []event.Data
		// forget, when set, is the period Forget keeps.
		forget string
		want   map[string]int
	}{
		{name: "empty", want: map[string]int{"day:2026-11-23": 0}},
		{name: "one kudos", given: []event.Data{given("day:2026-11-23", 3)}, want: map[string]int{"day:2026-11-23": 3, "day:2026-11-24": 0}},
		{name: "kudos add up per period", given: []event.Data{
			given("day:2026-11-23", 3), given("day:2026-11-23", 1), given("day:2026-11-24", 2),
		}, want: map[string]int{"day:2026-11-23": 4, "day:2026-11-24": 2}},
		{name: "retraction refunds its period", given: []event.Data{
			given("day:2026-11-23", 3), given("day:2026-11-23", 2), retracted("day:2026-11-23", 3),
		}, want: map[string]int{"day:2026-11-23": 2}},
		{name: "retraction without refund", given: []event.Data{
			given("day:2026-11-23", 3), retracted("day:2026-11-23", 0),
		}, want: map[string]int{"day:2026-11-23": 3}},
		{name: "system kudos spend nothing", given: []event.Data{given("day:2026-11-23", 0)}, want: map[string]int{"day:2026-11-23": 0}},
		{name: "other events are ignored", given: []event.Data{
			given("day:2026-11-23", 1),
			event.ReactionAdded{KudosID: "k", Member: "ben", Emoji: "🎉"},
			event.MemberUpserted{Member: "ana"},
		}, want: map[string]int{"day:2026-11-23": 1}},
		{name: "forget keeps a few periods", given: []event.Data{
			given("day:2026-11-20", 1), given("day:2026-11-21", 2), given("day:2026-11-22", 3), given("day:2026-11-23", 4),
		}, forget: "day:2026-11-23", want: map[string]int{"day:2026-11-20": 1, "day:2026-11-21": 2, "day:2026-11-22": 3, "day:2026-11-23": 4}},
		{name: "forget drops all but the live period", given: []event.Data{
			given("day:2026-11-19", 5), given("day:2026-11-20", 1), given("day:2026-11-21", 2), given("day:2026-11-22", 3), given("day:2026-11-23", 4),
		}, forget: "day:2026-11-23", want: map[string]int{"day:2026-11-19": 0, "day:2026-11-20": 0, "day:2026-11-21": 0, "day:2026-11-22": 0, "day:2026-11-23": 4}},
		{name: "forget a period not yet spent in", given: []event.Data{
			given("day:2026-11-19", 5), given("day:2026-11-20", 1), given("day:2026-11-21", 2), given("day:2026-11-22", 3), given("day:2026-11-23", 4),
		}, forget: "day:2026-11-24", want: map[string]int{"day:2026-11-23": 0, "day:2026-11-24": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var l command.Ledger
			for _, d := range tt.given {
				l.Apply(d)
			}
			if tt.forget != "" {
				l.Forget(tt.forget)
			}
			for period, want := range tt.want {
				if got := l.Spent(period); got != want {
					t.Errorf("Spent(%s) = %d, want %d", period, got, want)
				}
			}
		})
	}

	t.Run("zero ledger", func(t *testing.T) {
		t.Parallel()
		var l command.Ledger
		if got := l.Spent("day:2026-11-23"); got != 0 {
			t.Errorf("Spent on a zero ledger = %d", got)
		}
		l.Forget("day:2026-11-23") // must not panic
	})
}

func TestCheckAllowance(t *testing.T) {
	t.Parallel()
	auckland := mustLoc(t, "Pacific/Auckland")
	p := command.PeriodAt(event.PeriodDay, localTime(t, "2026-11-23 23:50", auckland), auckland)
	resets := localTime(t, "2026-11-24 00:00", auckland)
	ledger := func(spent ...int) *command.Ledger {
		var l command.Ledger
		for _, s := range spent {
			l.Apply(event.KudosGiven{Period: p.Key, Spent: s})
		}
		// Spending in another period does not count.
		l.Apply(event.KudosGiven{Period: "day:2026-11-22", Spent: 100})
		return &l
	}
	tests := []struct {
		name          string
		ledger        *command.Ledger
		limit, need   int
		wantOK        bool
		wantRemaining int
		wantSpent     int
	}{
		{name: "nothing spent", ledger: ledger(), limit: 5, need: 5, wantOK: true},
		{name: "fits exactly", ledger: ledger(2, 1), limit: 5, need: 2, wantOK: true},
		{name: "one too many", ledger: ledger(2, 1), limit: 5, need: 3, wantRemaining: 2, wantSpent: 3},
		{name: "all spent", ledger: ledger(5), limit: 5, need: 1, wantRemaining: 0, wantSpent: 5},
		{name: "more than the limit at once", ledger: ledger(), limit: 5, need: 6, wantRemaining: 5, wantSpent: 0},
		{name: "limit lowered below the spend", ledger: ledger(8), limit: 5, need: 1, wantRemaining: 0, wantSpent: 8},
		{name: "boosted limit", ledger: ledger(5), limit: 8, need: 3, wantOK: true},
		{name: "zero need always fits", ledger: ledger(5), limit: 5, need: 0, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := command.CheckAllowance(tt.ledger, tt.limit, tt.need, p)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("CheckAllowance = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, command.ErrAllowanceExceeded) {
				t.Fatalf("CheckAllowance = %v, want ErrAllowanceExceeded", err)
			}
			var ae *command.AllowanceError
			if !errors.As(err, &ae) {
				t.Fatalf("CheckAllowance = %v, want *AllowanceError", err)
			}
			want := command.AllowanceError{
				Requested: tt.need, Limit: tt.limit, Spent: tt.wantSpent, Remaining: tt.wantRemaining,
				Period: p.Key, ResetsAt: resets,
			}
			if ae.Requested != want.Requested || ae.Limit != want.Limit || ae.Spent != want.Spent ||
				ae.Remaining != want.Remaining || ae.Period != want.Period || !ae.ResetsAt.Equal(want.ResetsAt) {
				t.Errorf("AllowanceError = %+v, want %+v", *ae, want)
			}
			if ae.ResetsAt.Sub(localTime(t, "2026-11-23 23:50", auckland)) != 10*time.Minute {
				t.Errorf("resets at %v, want ten minutes after 23:50 in Auckland", ae.ResetsAt)
			}
		})
	}
}
