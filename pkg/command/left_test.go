package command_test

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// TestAllowanceOf: what is left is read from the giver's own events,
// also those another service appended (so it is caught up, not only
// cached), with refunds and boosts counted, in the giver's own period.
func TestAllowanceOf(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	ha, hb := twoServices(t, localTime(t, "2026-11-23 12:00", lisbon))
	resets := localTime(t, "2026-11-24 00:00", lisbon)
	want := func(h *harness, member string, limit, spent int) {
		t.Helper()
		got, err := h.svc.AllowanceOf(h.ctx(), acme, member)
		if err != nil {
			t.Fatal(err)
		}
		w := command.Allowance{Period: "day:2026-11-23", Limit: limit, Spent: spent, Remaining: max(limit-spent, 0), ResetsAt: resets}
		if got.Period != w.Period || got.Limit != w.Limit || got.Spent != w.Spent || got.Remaining != w.Remaining || !got.ResetsAt.Equal(w.ResetsAt) {
			t.Errorf("AllowanceOf(%s) = %+v, want %+v", member, got, w)
		}
	}
	want(hb, "ana", 5, 0) // cached before ana gives, through the other service
	given := ha.give(kudos("ana", 2, "ben"))
	want(hb, "ana", 5, 2)
	ha.give(kudos("ana", 1, "ben"))
	want(ha, "ana", 5, 3)
	if _, err := ha.svc.RetractKudos(ha.ctx(), command.RetractKudos{Tenant: acme, KudosID: given.ID, By: "ana", ByRole: event.ByGiver, Reason: "sent to the wrong person"}); err != nil {
		t.Fatal(err)
	}
	want(hb, "ana", 5, 1)
	if _, err := ha.svc.BoostAllowance(ha.ctx(), command.BoostAllowance{Tenant: acme, AllowanceBoosted: event.AllowanceBoosted{
		Member: "ana", Points: 3, From: "2026-11-23", To: "2026-11-23", By: "admin"}}); err != nil {
		t.Fatal(err)
	}
	want(ha, "ana", 8, 1)
	hb.clock.Set(localTime(t, "2026-11-23 23:59", lisbon).Add(time.Minute))
	got, err := hb.svc.AllowanceOf(hb.ctx(), acme, "ana")
	if err != nil || got.Period != "day:2026-11-24" || got.Spent != 0 || got.Remaining != 5 {
		t.Errorf("the next day: %+v, %v", got, err)
	}
	if _, err := ha.svc.AllowanceOf(ha.ctx(), acme, "nobody"); err == nil {
		t.Error("an unknown member has an allowance")
	}
}
