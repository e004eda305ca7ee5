package command

import (
	"fmt"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Period is one allowance period of one member: a calendar day, ISO week
// (from Monday) or month in the member's time zone.
type Period struct {
	Key   string    // "day:2026-11-23", "week:2026-W48", "month:2026-11"
	Start time.Time // inclusive
	End   time.Time // exclusive: when the allowance resets
}

// PeriodAt returns the period of kind that contains t in loc.
func PeriodAt(kind string, t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	y, m, d := t.Date()
	switch kind {
	case event.PeriodWeek:
		off := (int(t.Weekday()) + 6) % 7 // days since Monday
		start := midnight(y, m, d-off, loc)
		iy, iw := start.ISOWeek()
		return Period{Key: fmt.Sprintf("week:%04d-W%02d", iy, iw), Start: start, End: midnight(y, m, d-off+7, loc)}
	case event.PeriodMonth:
		start := midnight(y, m, 1, loc)
		return Period{Key: fmt.Sprintf("month:%04d-%02d", y, int(m)), Start: start, End: midnight(y, m+1, 1, loc)}
	default:
		start := midnight(y, m, d, loc)
		return Period{Key: "day:" + start.Format(time.DateOnly), Start: start, End: midnight(y, m, d+1, loc)}
	}
}

// midnight is the first instant of the date in loc. Where a DST change skips
// midnight (America/Santiago, America/Havana), time.Date may pick an hour of
// the evening before; the day then starts when the clocks go forward.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Hour() >= 12 {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	}
	return t
}

// Overlaps reports whether the period overlaps the calendar dates
// [from, to] (inclusive, "2006-01-02", in the period's time zone).
func (p Period) Overlaps(from, to string) bool {
	loc := p.Start.Location()
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return false
	}
	return midnight(f.Year(), f.Month(), f.Day(), loc).Before(p.End) &&
		midnight(t.Year(), t.Month(), t.Day()+1, loc).After(p.Start)
}
