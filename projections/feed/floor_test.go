package feed

import (
	"bytes"
	"context"
	"maps"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
)

// TestWritesFloorWritesTheFeedsStore: the writes floor BenchmarkFeed
// measures leaves exactly the store the feed leaves (items, index entries,
// members, reaction counters) after the same workload: its catch-up
// measures the cost of the feed's writes, no more and no fewer. A floor
// that counts reactions without looking for their kudos is told apart, so
// the workload reacts to retracted kudos.
func TestWritesFloorWritesTheFeedsStore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dumps, err := benchkit.CatchUpDumps(ctx, t.TempDir(), benchkit.Config{Members: 50, Events: 3000},
		Projection{}, WritesFloor(), writesFloor{teams: map[string][]byte{}, unchecked: true})
	if err != nil {
		t.Fatal(err)
	}
	feed, floor, unchecked := dumps[0], dumps[1], dumps[2]
	for _, b := range [][]byte{bItems, bIndex, bMembers, bReacted, bReactions} {
		if len(feed[string(b)]) == 0 {
			t.Fatalf("the feed wrote nothing in %s", b)
		}
		if !maps.EqualFunc(floor[string(b)], feed[string(b)], bytes.Equal) {
			t.Errorf("%s: the floor's %d keys differ from the feed's %d", b, len(floor[string(b)]), len(feed[string(b)]))
		}
	}
	if maps.EqualFunc(unchecked[string(bReacted)], feed[string(bReacted)], bytes.Equal) {
		t.Error("a floor that counts reactions to retracted kudos counts as the feed does: the workload has none")
	}
}
