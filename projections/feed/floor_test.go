package feed

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
)

// TestWritesFloorWritesTheFeedsStore: the writes floor BenchmarkFeed
// measures leaves exactly the store the feed leaves (items, index entries,
// members, reaction counters) after the same workload: its catch-up
// measures the cost of the feed's writes, no more and no fewer.
func TestWritesFloorWritesTheFeedsStore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dumps, err := benchkit.CatchUpDumps(ctx, t.TempDir(), benchkit.Config{Members: 50, Events: 3000}, Projection{}, WritesFloor())
	if err != nil {
		t.Fatal(err)
	}
	feed, floor := dumps[0], dumps[1]
	for _, b := range [][]byte{bItems, bIndex, bMembers, bReacted, bReactions} {
		a, f := feed[string(b)], floor[string(b)]
		if len(a) == 0 {
			t.Fatalf("the feed wrote nothing in %s", b)
		}
		if len(a) != len(f) {
			t.Errorf("%s: the feed has %d keys, the floor %d", b, len(a), len(f))
		}
		for k, v := range a {
			if !bytes.Equal(f[k], v) {
				t.Errorf("%s %q: the feed has %q, the floor %q", b, k, v, f[k])
				break
			}
		}
	}
}
