package command

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Ids of the nudges in the nudge tests.
const (
	nudge1 = "01a207c7-d870-7dfc-af0c-706a8b43b1e1"
	nudge2 = "01a207c7-d870-7dfc-af0c-706a8b43b1e2"
)

// night is the quiet hours of the nudge tests, in Lisbon (UTC in winter).
var night = event.QuietHours{Start: "20:00", End: "08:00"}

// issued is a wellness nudge of ana, due at deliverAt, living four hours.
func issued(id string, deliverAt time.Time) stored {
	return stored{id: id, at: deliverAt.Add(-time.Minute), data: event.NudgeIssued{
		Member: "ana", Kind: event.NudgeWellness, Reason: event.ReasonNoBreak, Message: "Time for a pause?",
		Day: deliverAt.Format(time.DateOnly), DeliverAt: deliverAt, ExpiresAt: deliverAt.Add(DefaultNudgeLife),
	}}
}

func deliveredAt(id string, at time.Time) stored {
	return stored{id: deliveryID(id), at: at, data: delivered(id, issued(id, at).data.(event.NudgeIssued))}
}

func cancelled(id, why string) stored {
	return stored{id: cancelID(id), at: time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC),
		data: event.NudgeCancelled{NudgeID: id, Member: "ana", Reason: why}}
}

func acknowledged(id string) stored {
	return stored{id: settleID(id, true), at: time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC),
		data: event.NudgeAcknowledged{NudgeID: id, Member: "ana"}}
}

func TestDecideIssue(t *testing.T) {
	t.Parallel()
	lisbon := mustZone(t, "Europe/Lisbon")
	noon := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	evening := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	morning := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := IssueNudge{Tenant: tenant, Member: "ana", Kind: event.NudgeWellness, Reason: event.ReasonNoBreak, Message: "Time for a pause?", CauseKey: "call-1"}
	nudge := func(deliverAt time.Time) event.NudgeIssued { return issued(nudge2, deliverAt).data.(event.NudgeIssued) }
	tests := []struct {
		name  string
		given history
		cap   int // 3 when 0
		now   time.Time
		when  IssueNudge
		then  then
		skip  string
	}{
		{name: "outside quiet hours: issued and delivered", now: noon, when: c,
			then: then{events: []event.Data{nudge(noon), delivered(nudge2, nudge(noon))}, ids: []string{nudge2, deliveryID(nudge2)}}},
		{name: "in quiet hours: issued for the morning", now: evening, when: c,
			then: then{events: []event.Data{nudge(morning)}}},
		{name: "issued before", given: history{issued(nudge2, noon)}, now: noon, when: c, then: then{replay: 1}},
		{name: "the day is full", cap: 1, given: history{issued(nudge1, noon.Add(-time.Hour))}, now: noon, when: c, skip: SkippedDailyCap},
		{name: "a nudge cancelled leaves room", cap: 1, given: history{issued(nudge1, noon.Add(-time.Hour)), cancelled(nudge1, event.CancelLeft)},
			now: noon, when: c, then: then{events: []event.Data{nudge(noon), delivered(nudge2, nudge(noon))}}},
		// The morning is another day: its cap is its own.
		{name: "the evening's nudge counts against the morning", cap: 1, given: history{issued(nudge1, noon)},
			now: evening, when: c, then: then{events: []event.Data{nudge(morning)}}},
		{name: "over before the quiet hours end", now: evening, when: func() IssueNudge {
			c := c
			c.NotAfter = evening.Add(time.Hour)
			return c
		}(), skip: SkippedTooLate},
		{name: "a life of its own", now: noon, when: func() IssueNudge {
			c := c
			c.Life = time.Hour
			return c
		}(), then: then{events: func() []event.Data {
			d := nudge(noon)
			d.ExpiresAt = noon.Add(time.Hour)
			return []event.Data{d, delivered(nudge2, d)}
		}()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cap := tt.cap
			if cap == 0 {
				cap = 3
			}
			st := given(t, newNudgeState(), tt.given)
			d, skipped := decideIssue(st, tt.when, issueInputs{id: nudge2, loc: lisbon, quiet: night, dailyCap: cap}, tt.now)
			if skipped != tt.skip {
				t.Fatalf("skipped %q, want %q (decided %+v)", skipped, tt.skip, d)
			}
			if tt.skip == "" {
				tt.then.check(t, d, nil)
			}
		})
	}
}

func TestDecideDeliver(t *testing.T) {
	t.Parallel()
	lisbon := mustZone(t, "Europe/Lisbon")
	due := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	ok := deliveryInputs{wants: true, quiet: night, loc: lisbon}
	c := DeliverNudge{Tenant: tenant, Member: "ana", NudgeID: nudge1}
	delivery := []event.Data{delivered(nudge1, issued(nudge1, due).data.(event.NudgeIssued))}
	cancel := func(why string) []event.Data {
		return []event.Data{event.NudgeCancelled{NudgeID: nudge1, Member: "ana", Reason: why}}
	}
	tests := []struct {
		name      string
		given     history
		in        deliveryInputs
		now       time.Time
		then      then
		cancelled string
	}{
		{name: "due", given: history{issued(nudge1, due)}, in: ok, now: due.Add(time.Minute),
			then: then{events: delivery, ids: []string{deliveryID(nudge1)}}},
		{name: "not due yet", given: history{issued(nudge1, due)}, in: ok, now: due.Add(-time.Minute),
			then: then{refused: ErrConflict, field: "id"}},
		{name: "delivered before", given: history{issued(nudge1, due), deliveredAt(nudge1, due)}, in: ok, now: due.Add(time.Hour),
			then: then{replay: 2}},
		{name: "cancelled before", given: history{issued(nudge1, due), cancelled(nudge1, event.CancelNotWanted)}, in: ok, now: due.Add(time.Hour),
			then: then{replay: 2}, cancelled: event.CancelNotWanted},
		{name: "the member left", given: history{issued(nudge1, due)}, in: deliveryInputs{gone: true}, now: due.Add(time.Minute),
			then: then{events: cancel(event.CancelLeft), ids: []string{cancelID(nudge1)}}, cancelled: event.CancelLeft},
		{name: "no longer wanted", given: history{issued(nudge1, due)}, in: deliveryInputs{quiet: night, loc: lisbon}, now: due.Add(time.Minute),
			then: then{events: cancel(event.CancelNotWanted)}, cancelled: event.CancelNotWanted},
		{name: "expired", given: history{issued(nudge1, due)}, in: ok, now: due.Add(DefaultNudgeLife),
			then: then{events: cancel(event.CancelExpired)}, cancelled: event.CancelExpired},
		// The member's quiet hours now start at 08:30: the nudge waits
		// until they end, 09:30, before it expires.
		{name: "in quiet hours that end in time", given: history{issued(nudge1, due)}, now: due.Add(time.Minute),
			in:   deliveryInputs{wants: true, quiet: event.QuietHours{Start: "08:30", End: "09:30"}, loc: lisbon},
			then: then{refused: ErrConflict, field: "id"}},
		{name: "in quiet hours that outlast it", given: history{issued(nudge1, due)}, now: due.Add(time.Minute),
			in:   deliveryInputs{wants: true, quiet: event.QuietHours{Start: "08:30", End: "18:00"}, loc: lisbon},
			then: then{events: cancel(event.CancelExpired)}, cancelled: event.CancelExpired},
		{name: "no such nudge", given: history{issued(nudge2, due)}, in: ok, now: due.Add(time.Minute),
			then: then{refused: ErrNotFound, field: "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := given(t, newNudgeState(), tt.given)
			d, why, err := decideDeliver(st, c, tt.in, tt.now)
			tt.then.check(t, d, err)
			if why != tt.cancelled {
				t.Errorf("cancelled %q, want %q", why, tt.cancelled)
			}
		})
	}
}

func TestDecideSettle(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	ack := SettleNudge{Tenant: tenant, Member: "ana", NudgeID: nudge1, Acknowledge: true}
	dismiss := SettleNudge{Tenant: tenant, Member: "ana", NudgeID: nudge1}
	tests := []struct {
		name  string
		given history
		when  SettleNudge
		then  then
	}{
		{name: "acknowledged", given: history{issued(nudge1, due), deliveredAt(nudge1, due)}, when: ack,
			then: then{events: []event.Data{event.NudgeAcknowledged{NudgeID: nudge1, Member: "ana"}}, ids: []string{settleID(nudge1, true)}}},
		{name: "dismissed", given: history{issued(nudge1, due), deliveredAt(nudge1, due)}, when: dismiss,
			then: then{events: []event.Data{event.NudgeDismissed{NudgeID: nudge1, Member: "ana"}}, ids: []string{settleID(nudge1, false)}}},
		{name: "acknowledged again", given: history{issued(nudge1, due), deliveredAt(nudge1, due), acknowledged(nudge1)}, when: ack,
			then: then{replay: 3}},
		{name: "dismissed once acknowledged", given: history{issued(nudge1, due), deliveredAt(nudge1, due), acknowledged(nudge1)}, when: dismiss,
			then: then{refused: ErrConflict, field: "id"}},
		{name: "not delivered yet", given: history{issued(nudge1, due)}, when: ack, then: then{refused: ErrConflict}},
		{name: "cancelled", given: history{issued(nudge1, due), cancelled(nudge1, event.CancelExpired)}, when: dismiss,
			then: then{refused: ErrConflict}},
		{name: "no such nudge", when: ack, then: then{refused: ErrNotFound, field: "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := decideSettle(given(t, newNudgeState(), tt.given), tt.when)
			tt.then.check(t, d, err)
		})
	}
}
