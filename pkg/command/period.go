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
		start := time.Date(y, m, d-off, 0, 0, 0, 0, loc)
		iy, iw := start.ISOWeek()
		return Period{Key: fmt.Sprintf("week:%04d-W%02d", iy, iw), Start: start, End: start.AddDate(0, 0, 7)}
	case event.PeriodMonth:
		start := time.Date(y, m, 1, 0, 0, 0, 0, loc)
		return Period{Key: fmt.Sprintf("month:%04d-%02d", y, int(m)), Start: start, End: start.AddDate(0, 1, 0)}
	default:
		start := time.Date(y, m, d, 0, 0, 0, 0, loc)
		return Period{Key: "day:" + start.Format(time.DateOnly), Start: start, End: start.AddDate(0, 0, 1)}
	}
}

// Overlaps reports whether the period overlaps the calendar dates
// [from, to] (inclusive, "2006-01-02", in the period's time zone).
func (p Period) Overlaps(from, to string) bool {
	loc := p.Start.Location()
	f, err1 := time.ParseInLocation(time.DateOnly, from, loc)
	t, err2 := time.ParseInLocation(time.DateOnly, to, loc)
	if err1 != nil || err2 != nil {
		return false
	}
	return f.Before(p.End) && t.AddDate(0, 0, 1).After(p.Start)
}
