package command_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below must resolve on hosts without zoneinfo

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// localDate is midnight of date ("2006-01-02") in loc.
func localDate(t testing.TB, date string, loc *time.Location) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// localTime parses "2006-01-02 15:04" in loc.
func localTime(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// instant parses an RFC 3339 time; "" is the zero time.
func instant(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestPeriodAt(t *testing.T) {
	t.Parallel()
	const (
		auckland = "Pacific/Auckland"
		la       = "America/Los_Angeles"
		lisbon   = "Europe/Lisbon"
	)
	tests := []struct {
		name string
		zone string
		kind string
		// at is an instant: RFC 3339 with an offset, usually Z.
		at        string
		wantKey   string
		wantStart string // local date of Start
		wantEnd   string // local date of End
		wantHours int    // End - Start
		// startAt and endAt, RFC 3339, replace wantStart and wantEnd where
		// midnight does not exist.
		startAt, endAt string
	}{
		// The same instant, just before UTC midnight, falls on different
		// days on both sides of UTC.
		{name: "before UTC midnight, east", zone: auckland, kind: event.PeriodDay, at: "2026-03-10T23:30:00Z", wantKey: "day:2026-03-11", wantStart: "2026-03-11", wantEnd: "2026-03-12", wantHours: 24},
		{name: "before UTC midnight, west", zone: la, kind: event.PeriodDay, at: "2026-03-10T23:30:00Z", wantKey: "day:2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-11", wantHours: 24},
		{name: "before UTC midnight, Lisbon winter", zone: lisbon, kind: event.PeriodDay, at: "2026-03-10T23:30:00Z", wantKey: "day:2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-11", wantHours: 24},
		{name: "after UTC midnight, east", zone: auckland, kind: event.PeriodDay, at: "2026-03-11T00:30:00Z", wantKey: "day:2026-03-11", wantStart: "2026-03-11", wantEnd: "2026-03-12", wantHours: 24},
		{name: "after UTC midnight, west", zone: la, kind: event.PeriodDay, at: "2026-03-11T00:30:00Z", wantKey: "day:2026-03-10", wantStart: "2026-03-10", wantEnd: "2026-03-11", wantHours: 24},
		{name: "after UTC midnight, Lisbon winter", zone: lisbon, kind: event.PeriodDay, at: "2026-03-11T00:30:00Z", wantKey: "day:2026-03-11", wantStart: "2026-03-11", wantEnd: "2026-03-12", wantHours: 24},
		// In summer Lisbon is an hour ahead of UTC.
		{name: "before UTC midnight, Lisbon summer", zone: lisbon, kind: event.PeriodDay, at: "2026-07-10T23:30:00Z", wantKey: "day:2026-07-11", wantStart: "2026-07-11", wantEnd: "2026-07-12", wantHours: 24},
		{name: "Auckland local midnight", zone: auckland, kind: event.PeriodDay, at: "2026-07-10T12:00:00Z", wantKey: "day:2026-07-11", wantStart: "2026-07-11", wantEnd: "2026-07-12", wantHours: 24},
		{name: "Auckland a minute before local midnight", zone: auckland, kind: event.PeriodDay, at: "2026-07-10T11:59:00Z", wantKey: "day:2026-07-10", wantStart: "2026-07-10", wantEnd: "2026-07-11", wantHours: 24},
		{name: "LA local midnight", zone: la, kind: event.PeriodDay, at: "2026-07-11T07:00:00Z", wantKey: "day:2026-07-11", wantStart: "2026-07-11", wantEnd: "2026-07-12", wantHours: 24},
		{name: "offset input", zone: lisbon, kind: event.PeriodDay, at: "2026-07-11T00:30:00+09:00", wantKey: "day:2026-07-10", wantStart: "2026-07-10", wantEnd: "2026-07-11", wantHours: 24},

		// DST change days are 23 or 25 hours long.
		{name: "LA spring forward", zone: la, kind: event.PeriodDay, at: "2026-03-08T20:00:00Z", wantKey: "day:2026-03-08", wantStart: "2026-03-08", wantEnd: "2026-03-09", wantHours: 23},
		{name: "LA fall back", zone: la, kind: event.PeriodDay, at: "2026-11-01T20:00:00Z", wantKey: "day:2026-11-01", wantStart: "2026-11-01", wantEnd: "2026-11-02", wantHours: 25},
		{name: "Lisbon spring forward", zone: lisbon, kind: event.PeriodDay, at: "2026-03-29T12:00:00Z", wantKey: "day:2026-03-29", wantStart: "2026-03-29", wantEnd: "2026-03-30", wantHours: 23},
		{name: "Lisbon fall back", zone: lisbon, kind: event.PeriodDay, at: "2026-10-25T12:00:00Z", wantKey: "day:2026-10-25", wantStart: "2026-10-25", wantEnd: "2026-10-26", wantHours: 25},
		{name: "Lisbon fall back, repeated hour", zone: lisbon, kind: event.PeriodDay, at: "2026-10-25T01:30:00Z", wantKey: "day:2026-10-25", wantStart: "2026-10-25", wantEnd: "2026-10-26", wantHours: 25},
		{name: "Auckland DST ends", zone: auckland, kind: event.PeriodDay, at: "2026-04-05T00:00:00Z", wantKey: "day:2026-04-05", wantStart: "2026-04-05", wantEnd: "2026-04-06", wantHours: 25},
		{name: "Auckland DST starts", zone: auckland, kind: event.PeriodDay, at: "2026-09-27T00:00:00Z", wantKey: "day:2026-09-27", wantStart: "2026-09-27", wantEnd: "2026-09-28", wantHours: 23},

		// Where DST skips midnight, the day starts when the clocks go
		// forward, not on the evening before.
		{name: "Santiago, the day before midnight is skipped", zone: "America/Santiago", kind: event.PeriodDay, at: "2026-09-05T12:00:00Z", wantKey: "day:2026-09-05", startAt: "2026-09-05T04:00:00Z", endAt: "2026-09-06T04:00:00Z", wantHours: 24},
		{name: "Santiago, its last hour", zone: "America/Santiago", kind: event.PeriodDay, at: "2026-09-06T03:30:00Z", wantKey: "day:2026-09-05", startAt: "2026-09-05T04:00:00Z", endAt: "2026-09-06T04:00:00Z", wantHours: 24},
		{name: "Santiago, midnight skipped", zone: "America/Santiago", kind: event.PeriodDay, at: "2026-09-06T12:00:00Z", wantKey: "day:2026-09-06", startAt: "2026-09-06T04:00:00Z", endAt: "2026-09-07T03:00:00Z", wantHours: 23},
		{name: "Havana, midnight skipped", zone: "America/Havana", kind: event.PeriodDay, at: "2026-03-08T05:00:00Z", wantKey: "day:2026-03-08", startAt: "2026-03-08T05:00:00Z", endAt: "2026-03-09T04:00:00Z", wantHours: 23},
		{name: "Havana, the evening before", zone: "America/Havana", kind: event.PeriodDay, at: "2026-03-08T04:59:00Z", wantKey: "day:2026-03-07", startAt: "2026-03-07T05:00:00Z", endAt: "2026-03-08T05:00:00Z", wantHours: 24},
		{name: "Beirut, midnight skipped", zone: "Asia/Beirut", kind: event.PeriodDay, at: "2026-03-29T12:00:00Z", wantKey: "day:2026-03-29", startAt: "2026-03-28T22:00:00Z", endAt: "2026-03-29T21:00:00Z", wantHours: 23},

		// Weeks are ISO weeks from Monday, keyed by ISO year.
		{name: "week mid-year", zone: lisbon, kind: event.PeriodWeek, at: "2026-11-25T12:00:00Z", wantKey: "week:2026-W48", wantStart: "2026-11-23", wantEnd: "2026-11-30", wantHours: 168},
		{name: "week on Monday midnight", zone: lisbon, kind: event.PeriodWeek, at: "2026-11-23T00:00:00Z", wantKey: "week:2026-W48", wantStart: "2026-11-23", wantEnd: "2026-11-30", wantHours: 168},
		{name: "week on Sunday night", zone: lisbon, kind: event.PeriodWeek, at: "2026-11-29T23:59:00Z", wantKey: "week:2026-W48", wantStart: "2026-11-23", wantEnd: "2026-11-30", wantHours: 168},
		{name: "week 53, last day of the year", zone: lisbon, kind: event.PeriodWeek, at: "2026-12-31T12:00:00Z", wantKey: "week:2026-W53", wantStart: "2026-12-28", wantEnd: "2027-01-04", wantHours: 168},
		{name: "week 53, first day of the next year", zone: lisbon, kind: event.PeriodWeek, at: "2027-01-01T12:00:00Z", wantKey: "week:2026-W53", wantStart: "2026-12-28", wantEnd: "2027-01-04", wantHours: 168},
		{name: "week 1 of the next year", zone: lisbon, kind: event.PeriodWeek, at: "2027-01-04T00:00:00Z", wantKey: "week:2027-W01", wantStart: "2027-01-04", wantEnd: "2027-01-11", wantHours: 168},
		{name: "ISO year ahead of the calendar", zone: lisbon, kind: event.PeriodWeek, at: "2024-12-31T12:00:00Z", wantKey: "week:2025-W01", wantStart: "2024-12-30", wantEnd: "2025-01-06", wantHours: 168},
		{name: "week across UTC midnight, east", zone: auckland, kind: event.PeriodWeek, at: "2026-03-15T23:30:00Z", wantKey: "week:2026-W12", wantStart: "2026-03-16", wantEnd: "2026-03-23", wantHours: 168},
		{name: "week across UTC midnight, west", zone: la, kind: event.PeriodWeek, at: "2026-03-15T23:30:00Z", wantKey: "week:2026-W11", wantStart: "2026-03-09", wantEnd: "2026-03-16", wantHours: 168},
		{name: "week with spring forward", zone: la, kind: event.PeriodWeek, at: "2026-03-04T20:00:00Z", wantKey: "week:2026-W10", wantStart: "2026-03-02", wantEnd: "2026-03-09", wantHours: 167},
		{name: "week with fall back", zone: la, kind: event.PeriodWeek, at: "2026-10-28T20:00:00Z", wantKey: "week:2026-W44", wantStart: "2026-10-26", wantEnd: "2026-11-02", wantHours: 169},

		// Months.
		{name: "month", zone: lisbon, kind: event.PeriodMonth, at: "2026-11-23T12:00:00Z", wantKey: "month:2026-11", wantStart: "2026-11-01", wantEnd: "2026-12-01", wantHours: 30 * 24},
		{name: "month across UTC midnight, Lisbon summer", zone: lisbon, kind: event.PeriodMonth, at: "2026-06-30T23:30:00Z", wantKey: "month:2026-07", wantStart: "2026-07-01", wantEnd: "2026-08-01", wantHours: 31 * 24},
		{name: "month across UTC midnight, east", zone: auckland, kind: event.PeriodMonth, at: "2026-03-31T23:30:00Z", wantKey: "month:2026-04", wantStart: "2026-04-01", wantEnd: "2026-05-01", wantHours: 30*24 + 1},
		{name: "month across UTC midnight, west", zone: la, kind: event.PeriodMonth, at: "2026-04-01T00:30:00Z", wantKey: "month:2026-03", wantStart: "2026-03-01", wantEnd: "2026-04-01", wantHours: 31*24 - 1},
		{name: "December", zone: lisbon, kind: event.PeriodMonth, at: "2026-12-31T23:59:00Z", wantKey: "month:2026-12", wantStart: "2026-12-01", wantEnd: "2027-01-01", wantHours: 31 * 24},
		{name: "leap February", zone: lisbon, kind: event.PeriodMonth, at: "2028-02-29T12:00:00Z", wantKey: "month:2028-02", wantStart: "2028-02-01", wantEnd: "2028-03-01", wantHours: 29 * 24},

		// An unknown kind is a day.
		{name: "unknown kind is a day", zone: lisbon, kind: "fortnight", at: "2026-11-23T12:00:00Z", wantKey: "day:2026-11-23", wantStart: "2026-11-23", wantEnd: "2026-11-24", wantHours: 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, tt.zone)
			at := instant(t, tt.at)
			p := command.PeriodAt(tt.kind, at, loc)
			if p.Key != tt.wantKey {
				t.Errorf("Key = %q, want %q", p.Key, tt.wantKey)
			}
			wantStart, wantEnd := instant(t, tt.startAt), instant(t, tt.endAt)
			if tt.startAt == "" {
				wantStart = localDate(t, tt.wantStart, loc)
			}
			if tt.endAt == "" {
				wantEnd = localDate(t, tt.wantEnd, loc)
			}
			if !p.Start.Equal(wantStart) {
				t.Errorf("Start = %v, want %v", p.Start, wantStart.In(loc))
			}
			if !p.End.Equal(wantEnd) {
				t.Errorf("End = %v, want %v", p.End, wantEnd.In(loc))
			}
			if p.Start.Location() != loc || p.End.Location() != loc {
				t.Errorf("Start in %v, End in %v; want both in %v", p.Start.Location(), p.End.Location(), loc)
			}
			if got := p.End.Sub(p.Start); got != time.Duration(tt.wantHours)*time.Hour {
				t.Errorf("End - Start = %v, want %dh", got, tt.wantHours)
			}
			if at.Before(p.Start) || !at.Before(p.End) {
				t.Errorf("%v is not in [%v, %v)", at, p.Start, p.End)
			}
			// The next period starts where this one ends.
			if next := command.PeriodAt(tt.kind, p.End, loc); !next.Start.Equal(p.End) || next.Key == p.Key {
				t.Errorf("next period %+v does not follow %+v", next, p)
			}
		})
	}
}

// TestPeriodAtContainsEveryHour walks a year hour by hour in zones with and
// without DST, including one whose DST starts at midnight: every instant
// lies in its period and periods tile without gaps.
func TestPeriodAtContainsEveryHour(t *testing.T) {
	t.Parallel()
	zones := []string{"Pacific/Auckland", "America/Los_Angeles", "Europe/Lisbon", "America/Santiago", "Asia/Kolkata", "UTC"}
	kinds := []string{event.PeriodDay, event.PeriodWeek, event.PeriodMonth}
	for _, zone := range zones {
		for _, kind := range kinds {
			t.Run(zone+"/"+kind, func(t *testing.T) {
				t.Parallel()
				loc := mustLoc(t, zone)
				at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				prev := command.PeriodAt(kind, at, loc)
				for range 366 * 48 {
					at = at.Add(30 * time.Minute)
					p := command.PeriodAt(kind, at, loc)
					if at.Before(p.Start) || !at.Before(p.End) {
						t.Fatalf("%v (%v) is not in its period %s [%v, %v)", at, at.In(loc), p.Key, p.Start, p.End)
					}
					if p.Key != prev.Key {
						if !p.Start.Equal(prev.End) {
							t.Fatalf("period %s starts %v, the one before (%s) ended %v", p.Key, p.Start, prev.Key, prev.End)
						}
						prev = p
					} else if !p.Start.Equal(prev.Start) || !p.End.Equal(prev.End) {
						t.Fatalf("period %s at %v is [%v, %v), earlier [%v, %v)", p.Key, at, p.Start, p.End, prev.Start, prev.End)
					}
				}
			})
		}
	}
}

func TestPeriodOverlaps(t *testing.T) {
	t.Parallel()
	lisbon := mustLoc(t, "Europe/Lisbon")
	auckland := mustLoc(t, "Pacific/Auckland")
	day := command.PeriodAt(event.PeriodDay, localTime(t, "2026-11-23 10:00", lisbon), lisbon)
	week := command.PeriodAt(event.PeriodWeek, localTime(t, "2026-11-25 10:00", lisbon), lisbon) // Mon 23 – Sun 29
	month := command.PeriodAt(event.PeriodMonth, localTime(t, "2026-11-25 10:00", lisbon), lisbon)
	// In Auckland, 23 November local is still 22 November in UTC.
	akDay := command.PeriodAt(event.PeriodDay, localTime(t, "2026-11-23 09:00", auckland), auckland)
	santiago := mustLoc(t, "America/Santiago")
	santiago5 := command.PeriodAt(event.PeriodDay, localTime(t, "2026-09-05 12:00", santiago), santiago)
	santiago6 := command.PeriodAt(event.PeriodDay, localTime(t, "2026-09-06 12:00", santiago), santiago)

	tests := []struct {
		name     string
		p        command.Period
		from, to string
		want     bool
	}{
		{name: "the same day", p: day, from: "2026-11-23", to: "2026-11-23", want: true},
		{name: "range around the day", p: day, from: "2026-11-01", to: "2026-11-30", want: true},
		{name: "ends on the day", p: day, from: "2026-11-20", to: "2026-11-23", want: true},
		{name: "starts on the day", p: day, from: "2026-11-23", to: "2026-12-23", want: true},
		{name: "the day before", p: day, from: "2026-11-22", to: "2026-11-22", want: false},
		{name: "the day after", p: day, from: "2026-11-24", to: "2026-11-24", want: false},
		{name: "bad from", p: day, from: "23/11/2026", to: "2026-11-23", want: false},
		{name: "bad to", p: day, from: "2026-11-23", to: "", want: false},
		{name: "week, its Sunday", p: week, from: "2026-11-29", to: "2026-11-29", want: true},
		{name: "week, its Monday", p: week, from: "2026-11-23", to: "2026-11-23", want: true},
		{name: "week, Sunday before", p: week, from: "2026-11-16", to: "2026-11-22", want: false},
		{name: "week, Monday after", p: week, from: "2026-11-30", to: "2026-12-05", want: false},
		{name: "month, last day", p: month, from: "2026-11-30", to: "2026-11-30", want: true},
		{name: "month, October", p: month, from: "2026-10-01", to: "2026-10-31", want: false},
		{name: "month, December", p: month, from: "2026-12-01", to: "2026-12-01", want: false},
		{name: "dates are local, east", p: akDay, from: "2026-11-23", to: "2026-11-23", want: true},
		{name: "dates are local, east, not UTC", p: akDay, from: "2026-11-22", to: "2026-11-22", want: false},
		// In Santiago 6 September 2026 starts at 01:00: a boost from that
		// date must not reach into the last hour of the 5th.
		{name: "boost from a day without midnight", p: santiago5, from: "2026-09-06", to: "2026-09-30", want: false},
		{name: "boost until the day before midnight is skipped", p: santiago6, from: "2026-09-01", to: "2026-09-05", want: false},
		{name: "boost on the day without midnight", p: santiago6, from: "2026-09-06", to: "2026-09-06", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Overlaps(tt.from, tt.to); got != tt.want {
				t.Errorf("%s.Overlaps(%s, %s) = %v, want %v", tt.p.Key, tt.from, tt.to, got, tt.want)
			}
		})
	}
}
