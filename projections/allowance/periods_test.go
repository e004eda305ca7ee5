package allowance

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// TestPeriodsAgreeWithPeriodAt: the remembered periods give
// command.PeriodAt's key for every instant, in time order and out of it,
// across the days clocks change (Santiago's midnight that does not exist,
// Lord Howe's half hour) and the ends of weeks, months and years.
func TestPeriodsAgreeWithPeriodAt(t *testing.T) {
	zones := []string{"UTC", "Europe/Lisbon", "America/Santiago", "Australia/Lord_Howe", "Pacific/Auckland", "America/New_York"}
	var locs []*time.Location
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	kinds := []string{event.PeriodDay, event.PeriodWeek, event.PeriodMonth}
	start := time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC) // spring and autumn changes on both hemispheres
	rnd := rand.New(rand.NewPCG(1, 2))
	p := newPeriods()
	check := func(at time.Time) {
		kind, loc := kinds[rnd.IntN(len(kinds))], locs[rnd.IntN(len(locs))]
		if got, want := p.key(kind, at, loc), command.PeriodAt(kind, at, loc).Key; got != want {
			t.Fatalf("%s period of %s in %s: %s, want %s", kind, at, loc, got, want)
		}
	}
	at := start
	for range 20000 { // in time order, by up to an hour and a half
		at = at.Add(time.Duration(rnd.IntN(90*60)) * time.Second)
		check(at)
	}
	end := at
	for range 20000 { // late and early: anywhere in the span, to the millisecond
		check(start.Add(time.Duration(rnd.Int64N(int64(end.Sub(start))))).Truncate(time.Millisecond))
	}
	for _, loc := range locs { // the last instant of a period and the first of the next
		for _, kind := range kinds {
			per := command.PeriodAt(kind, start, loc)
			for range 30 {
				for _, at := range []time.Time{per.End.Add(-time.Nanosecond), per.End, per.Start} {
					if got, want := p.key(kind, at, loc), command.PeriodAt(kind, at, loc).Key; got != want {
						t.Fatalf("%s period of %s in %s: %s, want %s", kind, at, loc, got, want)
					}
				}
				per = command.PeriodAt(kind, per.End, loc)
			}
		}
	}
}
