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
// BenchmarkAllowance measures writes the givers' spent points exactly as
// the allowance does, and an all-time received counter for every member
// the allowance has one for: it bounds the allowance because it does the
// allowance's counter writes, not fewer.
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
		t.Fatalf("spent: the allowance has %d keys, the floor %d", len(spent), len(floorSpent))
	}
	for k, v := range spent {
		if !bytes.Equal(floorSpent[k], v) {
			t.Fatalf("spent %q: the allowance has %q, the floor %q", k, v, floorSpent[k])
		}
	}
	all := 0
	for k := range allowance[string(bReceived)] {
		if strings.HasSuffix(k, "\x00all") {
			all++
			if floor[string(bReceived)][k] == nil {
				t.Fatalf("received %q: the allowance has it, the floor not", k)
			}
		}
	}
	if all == 0 {
		t.Fatal("the allowance counted nothing received")
	}
}
