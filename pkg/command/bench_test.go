package command_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// BenchmarkGiveKudosInProcess measures the write side's throughput:
// bench.Givers goroutines call Service.GiveKudos, each with givers of its
// own so that they contend only for the store, never for an aggregate.
// Every call runs the real validation against the directory, the allowance
// check and a conditional append on the giver's last sequence. Givers
// rotate so that nobody gives more than bench.HistoryPerGiver kudos, well
// within the allowance, at any b.N.
func BenchmarkGiveKudosInProcess(b *testing.B) {
	st, give, plan := giveBench(b, b.N)
	b.ResetTimer()
	err := bench.Workers(func(w int) error {
		for i := range plan.Share(w) {
			if err := give(b.Context(), w, i); err != nil {
				return err
			}
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatalf("give kudos: %v", err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(benchLastKudosSize(b, st, "bench"), "B/event")
}

// giveBench starts a store and a service, and plans n gives over
// bench.Givers workers between members it seeds: give(ctx, w, i) makes
// worker w's i-th.
func giveBench(b *testing.B, n int) (*eventstore.Store, func(ctx context.Context, w, i int) error, bench.Gives) {
	st := testenv.Store(b, testenv.NATS(b, ""))
	dir := diskDirectory(b)
	runDirectory(b, dir, st)
	svc := command.NewService(st, dir, nil)
	const tenant = "bench"
	plan := bench.NewGives(n)
	bench.SeedGivers(b, svc, tenant, plan.Members())
	return st, func(ctx context.Context, w, i int) error {
		from, to := plan.Pair(w, i)
		res, err := svc.GiveKudos(ctx, command.GiveKudos{
			Tenant: tenant, From: from, To: []string{to}, Message: bench.KudosMessage,
			Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		})
		if err == nil && res.Replayed {
			err = fmt.Errorf("give %d of worker %d replayed", i, w)
		}
		return err
	}, plan
}

// Phases of BenchmarkGiveKudosTracing: tracingPairs pairs of phases of
// tracingPhase gives each (64 for each worker).
const (
	tracingPhase = 64 * bench.Givers
	tracingPairs = 12
)

// BenchmarkGiveKudosTracing measures the command path with tracing off
// and on in the same run: BenchmarkGiveKudosInProcess's gives, in phases
// of tracingPhase gives, off and on in turn (off, on, on, off, off, on,
// …, so that a drift of the machine or of the stream falls on both
// alike), each phase timed; tracing-off and tracing-on report each mode's
// gives per second over its phases, and the CPU time of the process (the
// embedded NATS server's included) per give. Run as two benchmarks, one
// after the other, the machine's swings between them outweighed what
// tracing costs.
//
// On, each give runs under the spans the gateway starts for a request
// (the request's, a root, and the operation's below it), from plauditd's
// provider at the default sampling (tracing.NewProvider,
// tracing.DefaultSampleRatio), exporting to an exporter that discards
// what it gets: what is measured is what tracing adds to the command path
// (sampling, and in a sampled trace the spans below the root and the
// traceparent in the event), not a collector's speed.
func BenchmarkGiveKudosTracing(b *testing.B) {
	const phases = 2 * tracingPairs
	_, give, _ := giveBench(b, phases*tracingPhase)
	tp := tracing.NewProvider(tracetest.NewNoopExporter(), tracing.DefaultSampleRatio)
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("bench")
	traced := func(ctx context.Context, w, i int) error {
		rctx, request := tracer.Start(ctx, "POST /v1/kudos", trace.WithSpanKind(trace.SpanKindServer))
		defer request.End()
		octx, op := tracing.Child(rctx, "kudos.give")
		defer op.End()
		return give(octx, w, i)
	}
	var spent, cpu [2]time.Duration // off, on
	per := tracingPhase / bench.Givers
	for p := range phases {
		on := (p+1)/2%2 == 1 // off, on, on, off, off, on, …
		fn := give
		if on {
			fn = traced
		}
		start, cpuStart := time.Now(), cpuTime()
		err := bench.Workers(func(w int) error {
			for i := p * per; i < (p+1)*per; i++ {
				if err := fn(b.Context(), w, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("give kudos: %v", err)
		}
		mode := 0
		if on {
			mode = 1
		}
		spent[mode] += time.Since(start)
		cpu[mode] += cpuTime() - cpuStart
	}
	for mode, name := range []string{"tracing-off", "tracing-on"} {
		b.Run(name, func(b *testing.B) {
			b.ReportMetric(float64(tracingPairs*tracingPhase)/spent[mode].Seconds(), "events/s")
			b.ReportMetric(float64(cpu[mode].Microseconds())/float64(tracingPairs*tracingPhase), "cpu-us/event")
		})
	}
}

// benchLastKudosSize is the payload size of the newest kudos in the stream, to
// show it matches the raw baseline's.
func benchLastKudosSize(tb testing.TB, st *eventstore.Store, tenant string) float64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := st.Stream().GetLastMsgForSubject(ctx, "plaudit."+tenant+".kudos.>")
	if err != nil {
		tb.Fatalf("last kudos: %v", err)
	}
	return float64(len(m.Data))
}

// cpuTime is the CPU time the process has used, the embedded NATS server's
// included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
