package density

import "time"

// Bounds is Span.bounds: the span for a member in loc, [lo, hi).
func Bounds(s Span, loc *time.Location) (lo, hi time.Time) { return s.bounds(loc) }
