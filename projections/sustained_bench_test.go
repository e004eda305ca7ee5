package projections_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/analytics"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/rules"
)

// Sustained load: how long each part runs. The whole benchmark takes about
// two and a half minutes.
const (
	sustainedFind   = 15 * time.Second // closed loop, to find what the write path takes
	sustainedStep   = 25 * time.Second // each paced step
	sustainedSample = 50 * time.Millisecond
	sustainedGivers = 64 * 64 // members giving; none gives more than about 100 kudos a run
	// sustainedWindow is the stream's duplicate window in the run, short
	// so that waiting it out before each heap figure costs seconds: the
	// window holds the ids of what was written within it, a bounded
	// amount the heap figures leave out (the README sizes it).
	sustainedWindow = 10 * time.Second
	// keptUp is the lag p99 under which a projector counts as keeping
	// up with a step; make bench holds the sustained rate's lags to its
	// own target (a second).
	keptUp = 5 * time.Second
)

// sustainedSteps are the paced rates tried, as shares of what the closed
// loop reached, lowest first.
var sustainedSteps = []float64{0.5, 0.7, 0.85, 1.0}

// BenchmarkSustainedLoad runs the write path of a real engine with every
// projector live (feed, allowance, density, rules, and analytics into a
// clickhouse-server) for a few minutes. bench.Givers goroutines give kudos
// through the in-process command service: first as fast as they can
// (a closed loop, sustainedFind), which finds what the write path takes
// with the projectors competing for the machine; then paced at shares of
// that rate (sustainedSteps, sustainedStep each), every projector's lag
// (how long ago the oldest event it has not applied was acknowledged)
// sampled every 50 ms. The sustained rate is the highest step the writers
// kept up with (95% of the pace) and every projector too (its lag p99
// under keptUp), else the lowest step. Its progress goes to stderr.
//
// It reports sub-benchmarks: rate (events/s of that step), lag/<projector>
// (p50-ms, p99-ms of that step) and heap (heap-start-MiB and heap-end-MiB:
// the live heap after a full collection once the closed loop has warmed
// the engine up, everything has caught up and the duplicate window has
// passed, and again after the last step; growth-B/event, what the heap
// gained per event appended in between). With PLAUDIT_BENCH_HEAPPROFILES set to a directory
// it writes heap profiles at both points, for go tool pprof -base.
func BenchmarkSustainedLoad(b *testing.B) {
	ch := testenv.NewClickHouse(b)
	db, err := ch.CreateDatabase("sustained")
	if err != nil {
		b.Fatal(err)
	}
	var ana *analytics.Projector
	e := enginetest.Start(b, engine.Config{
		Modules: []projector.Module{feed.Module(), allowance.Module(), density.Module(), rules.Module()},
		Components: map[string]engine.NewComponent{analytics.Name: func(d engine.ComponentDeps) (engine.Component, error) {
			var err error
			ana, err = analytics.New(analytics.Config{Stream: d.Store, DSN: ch.DSN(db), Replica: d.Replica, Logger: d.Logger})
			return ana, err
		}},
	})
	const tenant = "sustained"
	ctx := context.Background()
	shortenDuplicateWindow(b, e)
	bench.SeedGivers(b, e.Command, tenant, sustainedGivers)
	positions := map[string]func() uint64{analytics.Name: ana.LastSeq}
	for name, r := range e.Runners {
		// A projection's checkpoint stays on the last event it consumes:
		// one with nothing pending has applied everything there is.
		positions[name] = func() uint64 {
			s, err := r.Status(ctx)
			if err == nil && s.Lag == 0 {
				return math.MaxUint64
			}
			return r.LastSeq()
		}
	}

	var acked bench.Acked
	perWorker := sustainedGivers / bench.Givers
	give := func(w, i int) error {
		g := w + bench.Givers*(i%perWorker)
		res, err := e.Command.GiveKudos(ctx, command.GiveKudos{
			Tenant: tenant, From: bench.GiveMember(g), To: []string{bench.GiveMember((g + 1) % sustainedGivers)},
			Message: bench.KudosMessage, Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		})
		if err != nil {
			return err
		}
		for _, a := range res.Events {
			acked.Saw(a.Seq)
		}
		return nil
	}
	// Each worker's calls count on from where its last run stopped, so a
	// giver's kudos are spread over the run.
	offset := make([]int, bench.Givers)
	run := func(rate float64, d time.Duration) (int, map[string][]time.Duration, error) {
		sctx, stop := context.WithCancel(ctx)
		lagsDone := make(chan map[string][]time.Duration, 1)
		go func() { lagsDone <- acked.Lags(sctx, sustainedSample, positions) }()
		counts := make([]int, bench.Givers)
		n, err := bench.Paced(ctx, bench.Givers, rate, d, func(w, i int) error {
			counts[w] = i + 1
			return give(w, offset[w]+i)
		})
		for w, c := range counts {
			offset[w] += c
		}
		// Sample until the projectors have applied what was written, so
		// that the lag of the step's last events counts.
		caughtUp(b, e, ana, 2*time.Minute)
		stop()
		return n, <-lagsDone, err
	}

	found, _, err := run(1e9, sustainedFind)
	if err != nil {
		b.Fatalf("closed loop: %v", err)
	}
	closed := float64(found) / sustainedFind.Seconds()
	windowPassed(b, e)
	heapStart := bench.HeapAfterGC()
	seqStart := e.StreamLastSeq(b)
	writeHeapProfile(b, "start")
	fmt.Fprintf(os.Stderr, "bench: closed loop of %d givers: %.0f gives/s with every projector live\n", bench.Givers, closed)

	type step struct {
		rate float64
		lags map[string][]time.Duration
		ok   bool
	}
	var steps []step
	for _, share := range sustainedSteps {
		target := closed * share
		n, lags, err := run(target, sustainedStep)
		if err != nil {
			b.Fatalf("paced at %.0f/s: %v", target, err)
		}
		s := step{rate: float64(n) / sustainedStep.Seconds(), lags: lags, ok: float64(n) >= 0.95*target*sustainedStep.Seconds()}
		var worst []string
		for name, l := range lags {
			p99 := bench.Percentile(l, 99)
			s.ok = s.ok && p99 < keptUp
			worst = append(worst, fmt.Sprintf("%s p99 %s", name, p99.Round(time.Millisecond)))
		}
		slices.Sort(worst)
		fmt.Fprintf(os.Stderr, "bench: paced at %.0f/s (%.0f%% of the closed loop): %.0f/s written; lag %s; kept up: %v\n",
			target, 100*share, s.rate, strings.Join(worst, ", "), s.ok)
		steps = append(steps, s)
	}
	windowPassed(b, e)
	heapEnd := bench.HeapAfterGC()
	written := e.StreamLastSeq(b) - seqStart
	writeHeapProfile(b, "end")

	best := steps[0]
	for _, s := range steps {
		if s.ok {
			best = s
		}
	}
	b.Run("rate", func(b *testing.B) { b.ReportMetric(best.rate, "events/s") })
	names := make([]string, 0, len(best.lags))
	for name := range best.lags {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		l := best.lags[name]
		b.Run("lag/"+name, func(b *testing.B) {
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(bench.Percentile(l, 50)), "p50-ms")
			b.ReportMetric(ms(bench.Percentile(l, 99)), "p99-ms")
		})
	}
	b.Run("heap", func(b *testing.B) {
		b.ReportMetric(float64(heapStart)/(1<<20), "heap-start-MiB")
		b.ReportMetric(float64(heapEnd)/(1<<20), "heap-end-MiB")
		// What the heap gained per event appended in between: nothing
		// when nothing leaks, once JetStream's duplicate window is full.
		b.ReportMetric((float64(heapEnd)-float64(heapStart))/float64(max(written, 1)), "growth-B/event")
	})
}

// shortenDuplicateWindow sets the stream's duplicate window to
// sustainedWindow.
func shortenDuplicateWindow(tb testing.TB, e *enginetest.Engine) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := e.Store.Stream().Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := info.Config
	cfg.Duplicates = sustainedWindow
	if _, err := e.Store.JetStream().UpdateStream(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
}

// windowPassed returns once JetStream has forgotten the ids of every event
// the stream holds now, so that the heap figure taken next holds none of
// them.
func windowPassed(tb testing.TB, e *enginetest.Engine) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sustainedWindow+time.Minute)
	defer cancel()
	testenv.PastDuplicateWindow(ctx, tb, e.Store, "sustained", time.Now())
}

// writeHeapProfile writes a heap profile named name.pprof into the
// directory PLAUDIT_BENCH_HEAPPROFILES names, when it names one, so that
// the start and end of the run can be compared (go tool pprof -base).
func writeHeapProfile(tb testing.TB, name string) {
	tb.Helper()
	dir := os.Getenv("PLAUDIT_BENCH_HEAPPROFILES")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		tb.Fatal(err)
	}
}

// caughtUp waits until every projector of e, and the analytics projector,
// has applied the stream up to its last sequence now.
func caughtUp(tb testing.TB, e *enginetest.Engine, ana *analytics.Projector, timeout time.Duration) {
	tb.Helper()
	e.CaughtUp(tb, timeout)
	seq := e.StreamLastSeq(tb)
	if !testenv.Within(timeout, func() bool { return ana.LastSeq() >= seq }) {
		tb.Fatalf("analytics at %d, stream at %d", ana.LastSeq(), seq)
	}
}
