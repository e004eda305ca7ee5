package bench_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/feed"
)

// newFixture publishes cfg's workload into a fixture of the test's,
// closed when the test ends, and returns it with a context for the test
// that ends with it, or after two minutes.
func newFixture(t *testing.T, cfg bench.Config) (context.Context, *bench.Fixture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	fx, err := bench.NewFixture(ctx, t.TempDir(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.Close() })
	return ctx, fx
}

// TestWorkloadProjects checks that the benchmarks measure what they claim:
// the workload is valid for every projection (nothing dead-lettered), the
// raw consumer reads the whole stream and each projector applies exactly
// the events of its filters.
func TestWorkloadProjects(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Members: 50, Events: 3000}
	ctx, fx := newFixture(t, cfg)
	res := fx.Result
	if res.Members != cfg.Members || res.Kudos+res.Reactions+res.Retractions != cfg.Events || res.Reactions == 0 || res.Retractions == 0 {
		t.Fatalf("workload %+v: want %d members and %d events, reactions and retractions among them", res, cfg.Members, cfg.Events)
	}
	if res.Last-res.First+1 != uint64(res.Total()) {
		t.Fatalf("workload %+v: sequences do not cover its %d events", res, res.Total())
	}
	st, err := fx.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []projector.Projection{feed.Module().Projection, allowance.Module().Projection} {
		t.Run(p.Name(), func(t *testing.T) {
			tg, err := bench.TargetOf(ctx, st.Stream(), p.Filters())
			if err != nil {
				t.Fatal(err)
			}
			if tg.Stream != uint64(res.Total()) || tg.Matching == 0 || tg.Matching > tg.Stream || tg.Last == 0 {
				t.Fatalf("target %+v for a workload of %d events", tg, res.Total())
			}
			n, err := bench.RawCatchUp(ctx, st.Stream(), "raw_"+p.Name(), tg, nil)
			if err != nil || uint64(n) != tg.Stream {
				t.Fatalf("raw catch-up read %d events (%v), want %d", n, err, tg.Stream)
			}
			caught := false
			s, err := bench.CatchUp(ctx, st, p, t.TempDir(), "test"+string(rune('a'+i)), tg, func() { caught = true })
			if err != nil {
				t.Fatal(err)
			}
			if !caught || s.Applied != tg.Matching || s.DeadLettered != 0 || s.LastSeq < tg.Last {
				t.Fatalf("status %+v (caught up: %v), want %d applied up to %d", s, caught, tg.Matching, tg.Last)
			}
		})
	}
}

func TestLatencies(t *testing.T) {
	t.Parallel()
	calls := make([]int, 100)
	lat, err := bench.Latencies(100, bench.Load{Readers: 8}, func(i, _ int) error {
		calls[i]++ // each i belongs to one reader
		return nil
	})
	if err != nil || len(lat) != 100 {
		t.Fatalf("%d latencies, %v", len(lat), err)
	}
	for i, n := range calls {
		if n != 1 {
			t.Fatalf("read %d made %d times", i, n)
		}
	}
	boom := errors.New("boom")
	if _, err := bench.Latencies(100, bench.Load{Readers: 8}, func(i, _ int) error {
		if i == 50 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v", err, boom)
	}
	start := time.Now()
	if _, err := bench.Latencies(50, bench.Load{Readers: 4, Rate: 500}, func(int, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("50 reads paced at 500/s took %v, want about 100ms", d)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}}
	for _, tt := range tests {
		if got := bench.Percentile(lat, tt.p); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := bench.Percentile(nil, 99); got != 0 {
		t.Errorf("Percentile of nothing = %v", got)
	}
}

// TestWriteLive: the live writes are kudos and reactions of the fixture's
// members that a projection takes without a dead letter, no faster than
// the rate asked for.
func TestWriteLive(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Members: 20, Events: 50}
	ctx, fx := newFixture(t, cfg)
	st, err := fx.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithTimeout(ctx, 500*time.Millisecond)
	defer stop()
	n, err := bench.WriteLive(wctx, st.JetStream(), cfg, 200)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n > 101 { // paced: never more than the ticks of half a second
		t.Errorf("%d events written in half a second at 200 a second", n)
	}
	p := feed.Module().Projection
	tg, err := bench.TargetOf(ctx, st.Stream(), p.Filters())
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(fx.Result.Total() + n); tg.Stream != want {
		t.Fatalf("the stream holds %d events, want %d", tg.Stream, want)
	}
	s, err := bench.CatchUp(ctx, st, p, t.TempDir(), "live", tg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Applied != tg.Matching || s.DeadLettered != 0 {
		t.Fatalf("status %+v, want %d applied and no dead letter", s, tg.Matching)
	}
}
