package allowance

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// TestCountersFloorWritesTheAllowancesCounters: after the same workload,
// the counters floor BenchmarkAllowance measures leaves the counters the
// allowance would leave if a retraction only refunded its giver: the
// givers' points spent, and what each member received all time, byte for
// byte; its period counters add up, member by member, to what the member
// received all time. Its catch-up measures the cost of the allowance's
// counter writes but the undoing of receipts. A floor that refunds nothing
// is told apart, so the workload does refund.
func TestCountersFloorWritesTheAllowancesCounters(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Enough events that retractions come within their kudos's week and
	// refund (the workload spreads its events over a year).
	dumps, err := benchkit.CatchUpDumps(ctx, t.TempDir(), benchkit.Config{Members: 50, Events: 20000},
		Projection{}, refundOnly{}, CountersFloor(), countersFloor{noRefund: true})
	if err != nil {
		t.Fatal(err)
	}
	allowance, want, floor, broken := dumps[0], dumps[1], dumps[2], dumps[3]
	allTime := func(d benchkit.Dump) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range d[string(bReceived)] {
			if strings.HasSuffix(k, "\x00all") {
				m[k] = v
			}
		}
		return m
	}
	if len(want[string(bSpent)]) == 0 || len(allTime(want)) == 0 {
		t.Fatal("the workload left no counters")
	}
	if !maps.EqualFunc(floor[string(bSpent)], want[string(bSpent)], bytes.Equal) {
		t.Error("the floor's points spent differ from the allowance's")
	}
	if !maps.EqualFunc(allTime(floor), allTime(want), bytes.Equal) {
		t.Error("what the floor counted received all time differs from the allowance's, retractions' receipts left as they were")
	}
	if maps.EqualFunc(broken[string(bSpent)], want[string(bSpent)], bytes.Equal) {
		t.Error("a floor that refunds nothing leaves the same points spent: the workload refunds nothing")
	}
	if maps.EqualFunc(allTime(want), allTime(allowance), bytes.Equal) {
		t.Error("undoing retractions' receipts changes nothing: the workload retracts nothing received")
	}
	// Each member's period counters add up to their all-time counter.
	sums := map[string][2]int64{}
	for k, v := range floor[string(bReceived)] {
		if strings.HasSuffix(k, "\x00all") {
			continue
		}
		m := k[:strings.LastIndexByte(k, 0)]
		s := sums[m]
		s[0] += projector.Counter(v, 0)
		s[1] += projector.Counter(v, 1)
		sums[m] = s
	}
	for k, v := range allTime(floor) {
		m := strings.TrimSuffix(k, "\x00all")
		if s := sums[m]; s[0] != projector.Counter(v, 0) || s[1] != projector.Counter(v, 1) {
			t.Errorf("%q: the floor's periods add up to %d points from %d kudos, all time %d from %d",
				m, s[0], s[1], projector.Counter(v, 0), projector.Counter(v, 1))
		}
		delete(sums, m)
	}
	if len(sums) > 0 {
		t.Errorf("period counters of members without an all-time counter: %v", sums)
	}
}

// refundOnly is the allowance but for a retraction, which only refunds its
// giver: the counters the counters floor must leave.
type refundOnly struct{ Projection }

func (refundOnly) Name() string { return Name + "_refund_only" }
func (p refundOnly) Apply(tx *projector.Tx, ev projector.Event) error {
	if d, ok := ev.Data.(event.KudosRetracted); ok {
		return addInt(tx, key(ev.Tenant, d.Giver, d.Period), -d.Refunded)
	}
	return p.Projection.Apply(tx, ev)
}
