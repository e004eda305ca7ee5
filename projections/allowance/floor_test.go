package allowance

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
	"github.com/plaudit/plaudit/pkg/projector"
)

// TestCountersFloorWritesTheAllowancesCounters: the counters floor
// BenchmarkAllowance measures leaves, after the same workload, the givers'
// points spent exactly as the allowance does; an all-time received
// counter for each member the allowance has one for, at least as large
// (the floor does not undo what retractions took back); and a period
// counter for every receipt it counted all time. Its catch-up measures the
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
	spent, floorSpent := allowance[string(bSpent)], floor[string(bSpent)]
	if len(spent) == 0 || len(spent) != len(floorSpent) {
		t.Fatalf("spent: the allowance has %d counters, the floor %d", len(spent), len(floorSpent))
	}
	for k, v := range spent {
		if !bytes.Equal(floorSpent[k], v) {
			t.Fatalf("spent %q: the allowance has %q, the floor %q", k, v, floorSpent[k])
		}
	}
	// what: 0 for points, 1 for count; all: all-time counters, else the
	// periods'.
	sum := func(d benchkit.Dump, all bool, what int) (n int64, keys int) {
		for k, v := range d[string(bReceived)] {
			if strings.HasSuffix(k, "\x00all") == all {
				n += projector.Counter(v, what)
				keys++
			}
		}
		return n, keys
	}
	allCount, allKeys := sum(allowance, true, 1)
	floorCount, floorKeys := sum(floor, true, 1)
	if allKeys == 0 || floorKeys != allKeys || floorCount <= allCount {
		t.Fatalf("received all time: the allowance counted %d kudos in %d counters, the floor %d in %d; want the same counters, and more kudos where retractions took none back",
			allCount, allKeys, floorCount, floorKeys)
	}
	for k, v := range allowance[string(bReceived)] {
		if strings.HasSuffix(k, "\x00all") && projector.Counter(floor[string(bReceived)][k], 0) < projector.Counter(v, 0) {
			t.Fatalf("received all time %q: the floor counted fewer points than the allowance", k)
		}
	}
	if periodCount, _ := sum(floor, false, 1); periodCount != floorCount {
		t.Fatalf("the floor counted %d receipts in periods, %d all time", periodCount, floorCount)
	}
}
