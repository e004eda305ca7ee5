package feed

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/benchkit"
	"github.com/plaudit/plaudit/pkg/projector"
)

// TestWritesFloorWritesTheFeedsStore: the writes floor BenchmarkFeed
// measures writes the feed's items, index entries and members exactly as
// the feed does, and counts at least the feed's reactions (it counts those
// to retracted kudos too): it bounds the feed because it does the feed's
// writes, not fewer.
func TestWritesFloorWritesTheFeedsStore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dumps, err := benchkit.CatchUpDumps(ctx, t.TempDir(), benchkit.Config{Members: 50, Events: 3000}, Projection{}, WritesFloor())
	if err != nil {
		t.Fatal(err)
	}
	feed, floor := dumps[0], dumps[1]
	for _, b := range [][]byte{bItems, bIndex, bMembers} {
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
	for _, b := range [][]byte{bReacted, bReactions} {
		a, f := feed[string(b)], floor[string(b)]
		if len(a) == 0 {
			t.Fatalf("the feed counted no reactions in %s", b)
		}
		for k, v := range a {
			if got, want := projector.Counter(f[k], 0), projector.Counter(v, 0); got < want {
				t.Errorf("%s %q: the feed counted %d, the floor %d", b, k, want, got)
				break
			}
		}
	}
}
