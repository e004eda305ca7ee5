package analytics_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/analytics"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

// BenchmarkAnalytics measures the ClickHouse projector against a real
// clickhouse-server:
//
//   - catchup/raw and catchup/projector: the internal/bench stream
//     (1,000,000 kudos, reactions and retractions after 10,000 members) read
//     by a raw JetStream consumer, and inserted into a fresh ClickHouse
//     database by the projector, in events/s (make bench reports the ratio)
//     and rows/s.
//   - freshness: events appended at a steady 2,000 a second while the
//     projector runs caught up; the time from each append to ClickHouse
//     showing it (max(stream_seq) polled every 5 ms), as p50-ms and p99-ms.
func BenchmarkAnalytics(b *testing.B) {
	env := bench.NewEnv(b)
	var (
		srvOnce sync.Once
		srv     *testenv.ClickHouseServer
	)
	parent := b
	// One server for the whole benchmark, stopped when it ends (a
	// sub-benchmark's cleanups run after each of its rounds).
	server := func(b *testing.B) *testenv.ClickHouseServer {
		srvOnce.Do(func() { srv = testenv.NewClickHouse(parent) })
		if srv == nil {
			b.Fatal("no ClickHouse")
		}
		return srv
	}
	runs := 0
	b.Run("catchup", func(b *testing.B) {
		b.Run("raw", func(b *testing.B) {
			st := env.Store(b)
			t, err := bench.TargetOf(context.Background(), st.Stream(), []string{event.StreamSubjects})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				runs++
				if _, err := bench.RawCatchUp(context.Background(), st.Stream(), "bench_raw_analytics_"+strconv.Itoa(runs), t, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(t.Stream)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("projector", func(b *testing.B) {
			st := env.Store(b)
			s := server(b)
			t, err := bench.TargetOf(context.Background(), st.Stream(), []string{event.StreamSubjects})
			if err != nil {
				b.Fatal(err)
			}
			var rows uint64
			b.ResetTimer()
			for range b.N {
				runs++
				b.StopTimer()
				db, err := s.CreateDatabase("bench")
				if err != nil {
					b.Fatal(err)
				}
				p, err := analytics.New(analytics.Config{Stream: st, DSN: s.DSN(db), Replica: "bench" + strconv.Itoa(runs), Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				go func() { done <- p.Run(ctx) }()
				for p.LastSeq() < t.Last {
					select {
					case err := <-done:
						b.Fatalf("projector stopped at %d of %d: %v", p.LastSeq(), t.Last, err)
					case <-time.After(time.Millisecond):
					}
				}
				b.StopTimer()
				rows += p.Rows()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				_ = st.Stream().DeleteConsumer(context.Background(), p.ConsumerName())
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N)*float64(t.Stream)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	})
	b.Run("freshness", func(b *testing.B) { freshness(b, server(b), 2000) })
}

// quiet keeps the projector's log out of the benchmark's output, which
// make bench parses.
var quiet = slog.New(slog.DiscardHandler)

// freshness appends b.N kudos at rate a second to a stream of its own,
// with the projector running, and reports how long each took to show in
// ClickHouse.
func freshness(b *testing.B, s *testenv.ClickHouseServer, rate float64) {
	st := testenv.Store(b, testenv.NATS(b, ""))
	db, err := s.CreateDatabase("fresh")
	if err != nil {
		b.Fatal(err)
	}
	dsn := s.DSN(db)
	p, err := analytics.New(analytics.Config{Stream: st, DSN: dsn, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	// Appended events: their sequence and when their append returned.
	type appended struct {
		seq uint64
		at  time.Time
	}
	conn := open(b, dsn)
	warm := appendKudos(b, st, time.Now()) // the projector connected and migrated
	for p.LastSeq() < warm {
		time.Sleep(5 * time.Millisecond)
	}
	// Visibility: ClickHouse's newest sequence, polled.
	type seen struct {
		seq uint64
		at  time.Time
	}
	var (
		mu    sync.Mutex
		polls []seen
	)
	pollCtx, stopPoll := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for pollCtx.Err() == nil {
			var max uint64
			if err := conn.QueryRow(pollCtx, "SELECT max(stream_seq) FROM events").Scan(&max); err == nil {
				mu.Lock()
				polls = append(polls, seen{max, time.Now()})
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	b.ResetTimer()
	start := time.Now()
	all := make([]appended, 0, b.N)
	var amu sync.Mutex
	var appends sync.WaitGroup
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); wait > 0 {
			time.Sleep(wait)
		}
		appends.Go(func() { // paced, not held up by the previous append's acknowledgement
			seq := appendKudos(b, st, time.Now())
			amu.Lock()
			all = append(all, appended{seq, time.Now()})
			amu.Unlock()
		})
	}
	appends.Wait()
	slices.SortFunc(all, func(x, y appended) int { return int(x.seq) - int(y.seq) })
	for p.LastSeq() < all[len(all)-1].seq {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a last poll
	b.StopTimer()
	stopPoll()
	wg.Wait()
	lat := make([]time.Duration, 0, len(all))
	for _, a := range all {
		i, _ := slices.BinarySearchFunc(polls, a.seq, func(s seen, seq uint64) int {
			switch {
			case s.seq < seq:
				return -1
			case s.seq > seq:
				return 1
			}
			return 0
		})
		for i < len(polls) && polls[i].seq < a.seq {
			i++
		}
		if i == len(polls) {
			b.Fatalf("event %d never showed in ClickHouse", a.seq)
		}
		lat = append(lat, max(polls[i].at.Sub(a.at), 0))
	}
	slices.Sort(lat)
	bench.ReportLatency(b, lat)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// appendKudos appends one kudos and returns its sequence.
func appendKudos(b *testing.B, st *eventstore.Store, at time.Time) uint64 {
	b.Helper()
	return projtest.Append(b, st, "acme", at, event.KudosGiven{
		Giver: "ana", Recipients: []string{"bo"}, Message: "Thanks for taking the escalated call",
		Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI, Period: "day:" + at.UTC().Format(time.DateOnly), Spent: 1})
}
