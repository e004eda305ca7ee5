package density

import (
	"math"
	"time"

	"github.com/plaudit/plaudit/pkg/projector"
)

// Bounds is Span.bounds: the span for a member in loc, [lo, hi).
func Bounds(s Span, loc *time.Location) (lo, hi time.Time) { return s.bounds(loc) }

// CachedFrom is the time from which the read side of mod, a Module(),
// keeps member's moments.
func CachedFrom(mod projector.Module, tenant, member string) (time.Time, bool) {
	rm, ok := mod.Projection.(Projection).cache.Get(key(tenant, member), math.MaxUint64)
	if !ok {
		return time.Time{}, false
	}
	return rm.from, true
}
