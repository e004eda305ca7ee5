package benchkit

import (
	"context"
	"testing"
	"time"

	"github.com/plaudit/plaudit/projections/density"
)

// TestMomentFloorWritesDensitysMoments: every moment the density projection
// keeps after a workload, the moment floor BenchmarkDensity measures wrote
// under the same key (it keeps those of retracted kudos too), and no
// larger than density's moments are on average: its catch-up measures the
// cost of density's moments, not of more.
func TestMomentFloorWritesDensitysMoments(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := density.Module().Projection
	dumps, err := CatchUpDumps(ctx, t.TempDir(), Config{Members: 50, Events: 3000}, p, momentFloor{p: p})
	if err != nil {
		t.Fatal(err)
	}
	dens, floor := dumps[0], dumps[1]
	for _, bucket := range []string{"received", "given"} {
		kept, wrote := dens[bucket], floor[bucket]
		if len(kept) == 0 {
			t.Fatalf("density kept no moments in %s", bucket)
		}
		size, floorSize := 0, 0
		for k, v := range kept {
			w, ok := wrote[k]
			if !ok {
				t.Fatalf("%s %q: density keeps it, the floor never wrote it", bucket, k)
			}
			size += len(v)
			floorSize += len(w)
		}
		if floorSize > size {
			t.Errorf("%s: the floor's moments take %d bytes, density's %d", bucket, floorSize, size)
		}
		if extra := len(wrote) - len(kept); extra > len(kept)/20 {
			t.Errorf("%s: the floor wrote %d moments, density keeps %d: more than retractions take back", bucket, len(wrote), len(kept))
		}
	}
}
