package allowance

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
)

// TestCountersFloorWritesTheAllowancesCounters: the counters floor
// BenchmarkAllowance measures leaves the allowance's counters after the
// same workload: the givers' points spent exactly, and what each member
// received all time exactly. (Its period counters are keyed by the giver's
// period, the allowance's by the recipient's.) Its catch-up measures the
// cost of the allowance's counter writes, not of fewer.
func TestCountersFloorWritesTheAllowancesCounters(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dumps, err := benchkit.CatchUpDumps(ctx, t.TempDir(), benchkit.Config{Members: 50, Events: 3000}, Projection{}, CountersFloor())
	if err != nil {
		t.Fatal(err)
	}
	allowance, floor := dumps[0], dumps[1]
	allTime := func(d benchkit.Dump) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range d[string(bReceived)] {
			if strings.HasSuffix(k, "\x00all") {
				m[k] = v
			}
		}
		return m
	}
	for _, c := range []struct {
		what          string
		proj, counted map[string][]byte
	}{
		{"spent", allowance[string(bSpent)], floor[string(bSpent)]},
		{"received all time", allTime(allowance), allTime(floor)},
	} {
		if len(c.proj) == 0 || len(c.proj) != len(c.counted) {
			t.Fatalf("%s: the allowance has %d counters, the floor %d", c.what, len(c.proj), len(c.counted))
		}
		for k, v := range c.proj {
			if !bytes.Equal(c.counted[k], v) {
				t.Fatalf("%s %q: the allowance has %q, the floor %q", c.what, k, v, c.counted[k])
			}
		}
	}
}
