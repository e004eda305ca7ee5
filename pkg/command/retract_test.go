package command_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

func retraction(kudosID, by, role string) command.RetractKudos {
	return command.RetractKudos{Tenant: acme, KudosID: kudosID, By: by, ByRole: role, Reason: "  sent to the wrong person  "}
}

// TestRetractKudosRefund: points come back when the kudos is retracted in
// the period it was given in, and only then.
func TestRetractKudosRefund(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		period     string
		by, role   string
		giveAt     string // Auckland local
		retractAt  string
		wantRefund int
	}{
		{name: "same day", giveAt: "2026-11-23 09:00", retractAt: "2026-11-23 23:59", by: "ana", role: event.ByGiver, wantRefund: 5},
		{name: "same day, by an admin", giveAt: "2026-11-23 09:00", retractAt: "2026-11-23 10:00", by: "k_0123456789ab", role: event.ByAdmin, wantRefund: 5},
		{name: "next day", giveAt: "2026-11-23 23:50", retractAt: "2026-11-24 00:01", by: "ana", role: event.ByGiver, wantRefund: 0},
		{name: "next day, by an admin", giveAt: "2026-11-23 09:00", retractAt: "2026-11-25 10:00", by: "cai", role: event.ByAdmin, wantRefund: 0},
		{name: "same week", period: event.PeriodWeek, giveAt: "2026-11-23 00:30", retractAt: "2026-11-29 23:30", by: "ana", role: event.ByGiver, wantRefund: 5},
		{name: "next week", period: event.PeriodWeek, giveAt: "2026-11-29 23:30", retractAt: "2026-11-30 00:30", by: "ana", role: event.ByGiver, wantRefund: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auckland := mustLoc(t, "Pacific/Auckland")
			h := newHarness(t, localTime(t, tt.giveAt, auckland))
			if tt.period != "" {
				p := event.DefaultPolicy()
				p.Allowance.Period = tt.period
				h.setPolicy(p)
			}
			h.member("ana", "support", "Pacific/Auckland")
			h.member("ben", "support", "Europe/Lisbon")
			h.member("cai", "support", "Europe/Lisbon")
			kind := cmp(tt.period, event.PeriodDay)
			given := command.PeriodAt(kind, h.clock.Now(), auckland)

			k := h.give(kudos("ana", 5, "ben"))
			h.refused(kudos("ana", 1, "ben"), 0, given.End)

			h.clock.Set(localTime(t, tt.retractAt, auckland))
			res, err := h.svc.RetractKudos(h.ctx(), retraction(k.ID, tt.by, tt.role))
			if err != nil || res.Replayed || len(res.Events) != 1 {
				t.Fatalf("RetractKudos = %+v, %v", res, err)
			}
			if want := event.KudosSubject(acme, "ana", "retracted"); res.Events[0].Subject != want {
				t.Errorf("retraction on %s, want %s", res.Events[0].Subject, want)
			}
			got := stored(t, h.store, res.Events[0].ID).(event.KudosRetracted)
			want := event.KudosRetracted{
				KudosID: k.ID, Giver: "ana", By: tt.by, ByRole: tt.role, Reason: "sent to the wrong person",
				Period: given.Key, Refunded: tt.wantRefund,
			}
			if got != want {
				t.Errorf("stored %+v, want %+v", got, want)
			}

			// What is left now: a refund in this period, or a fresh period.
			now := command.PeriodAt(kind, h.clock.Now(), auckland)
			h.give(kudos("ana", 5, "ben"))
			h.refused(kudos("ana", 1, "ben"), 0, now.End)

			// A service that folds the giver's events from scratch, at the
			// time of the give, sees that period fully spent: refunded and
			// spent again, or not refunded at all.
			fresh := command.NewService(h.store, h.dir, func() time.Time { return localTime(t, tt.giveAt, auckland) })
			_, err = fresh.GiveKudos(h.ctx(), kudos("ana", 1, "ben"))
			var ae *command.AllowanceError
			if !errors.As(err, &ae) || ae.Spent != 5 || ae.Period != given.Key {
				t.Errorf("give in %s after the retraction = %v, want 5 of 5 spent", given.Key, err)
			}
		})
	}
}

func TestRetractKudosRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.members("Europe/Lisbon", "ana", "ben", "cai")
	k := h.give(kudos("ana", 1, "ben"))
	gone := h.give(kudos("ana", 1, "cai"))
	if _, err := h.svc.RetractKudos(h.ctx(), retraction(gone.ID, "ana", event.ByGiver)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		c    command.RetractKudos
		// kind is the refusal's sentinel; field the validation's field.
		kind  error
		field string
	}{
		{name: "twice", c: retraction(gone.ID, "ana", event.ByGiver), kind: command.ErrConflict},
		{name: "twice, by an admin", c: retraction(gone.ID, "k_0123456789ab", event.ByAdmin), kind: command.ErrConflict},
		{name: "by a recipient", c: retraction(k.ID, "ben", event.ByGiver), kind: command.ErrForbidden},
		{name: "by a bystander", c: retraction(k.ID, "cai", event.ByGiver), kind: command.ErrForbidden},
		{name: "unknown kudos", c: retraction(uuid.NewString(), "ana", event.ByGiver), kind: command.ErrNotFound},
		{name: "not a kudos id", c: retraction("not-a-uuid", "ana", event.ByGiver), kind: command.ErrNotFound},
		{name: "other tenant", c: func() command.RetractKudos {
			c := retraction(k.ID, "ana", event.ByGiver)
			c.Tenant = "globex"
			return c
		}(), kind: command.ErrNotFound},
		{name: "no reason", c: func() command.RetractKudos {
			c := retraction(k.ID, "ana", event.ByGiver)
			c.Reason = "   "
			return c
		}(), field: "reason"},
		{name: "unknown role", c: retraction(k.ID, "ben", "moderator"), field: "by_role"},
		{name: "no role", c: retraction(k.ID, "ben", ""), field: "by_role"},
		{name: "admin without an id", c: retraction(k.ID, "", event.ByAdmin), field: "by"},
	}
	before := h.msgs()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.svc.RetractKudos(h.ctx(), tt.c)
			wantRefusal(t, res, err, tt.field, tt.kind)
			h.wantUnchanged(t, before)
		})
	}
}

// TestRetractKudosRetry: a retraction retried with the same seed is
// answered with the original retraction; another one is a conflict.
func TestRetractKudosRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.members("Europe/Lisbon", "ana", "ben")
	k := h.give(kudos("ana", 1, "ben"))
	c := retraction(k.ID, "ana", event.ByGiver)
	c.IDSeed = "retract-1"
	first, err := h.svc.RetractKudos(h.ctx(), c)
	if err != nil {
		t.Fatal(err)
	}
	before := h.msgs()
	again, err := h.svc.RetractKudos(h.ctx(), c)
	if err != nil || !again.Replayed || len(again.Events) != 1 || again.Events[0] != first.Events[0] {
		t.Errorf("retry = %+v, %v; want a replay of %+v", again, err, first.Events[0])
	}
	c.IDSeed = "retract-2"
	_, err = h.svc.RetractKudos(h.ctx(), c)
	wantState(t, err, command.ErrConflict)
	h.wantUnchanged(t, before)
}
