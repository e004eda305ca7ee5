package bench

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Readers is how many readers the read benchmarks run at once.
const Readers = 64

// EnvReadRate sets the pace of the paced read benchmarks, in reads per
// second over all readers (default DefaultReadRate).
const EnvReadRate = "PLAUDIT_BENCH_READ_RATE"

// DefaultReadRate is a busy tenant: each of 10,000 members loading a page
// every ten seconds.
const DefaultReadRate = 1000

// ReadRate is the pace of the paced read benchmarks.
func ReadRate() (int, error) { return rateFromEnv(EnvReadRate, DefaultReadRate, "reads") }

// rateFromEnv reads a rate, a positive number of what per second, from the
// environment variable name; def when it is unset.
func rateFromEnv(name string, def int, what string) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("%s=%q: want %s per second, at most 1,000,000", name, s, what)
	}
	return n, nil
}

// Load is how the readers of Latencies ask.
type Load struct {
	Readers int
	// Rate, when positive, paces the readers to Rate reads per second in
	// all (open loop): each read has its time slot, and its latency counts
	// from the slot, so a reader held up by a slow read is charged for the
	// reads it could not send on time. Zero runs the readers flat out
	// (closed loop: a reader asks again as soon as it has its answer), and
	// then the latency is bound to the throughput (Little's law: latency =
	// readers / reads per second): on a small machine the figure says as
	// much about the cores as about the read.
	Rate float64
}

// Latencies calls read n times from load.Readers goroutines and returns
// the latency of every call, sorted. read gets the call's number, to choose
// its request, and the reader's, to choose its connection. The first error
// stops every reader.
func Latencies(n int, load Load, read func(i, reader int) error) ([]time.Duration, error) {
	readers := max(load.Readers, 1)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     = make([]time.Duration, 0, n)
		errOnce sync.Once
		first   error
		failed  = make(chan struct{})
	)
	start := time.Now()
	for w := range readers {
		share := n / readers
		if w < n%readers {
			share++
		}
		wg.Go(func() {
			lat := make([]time.Duration, 0, share)
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
			for j := range share {
				i := w + j*readers
				from := time.Now()
				if load.Rate > 0 {
					from = start.Add(time.Duration(float64(i) / load.Rate * float64(time.Second)))
					if wait := time.Until(from); wait > 0 {
						select {
						case <-failed:
							return
						case <-time.After(wait):
						}
					}
				}
				select {
				case <-failed:
					return
				default:
				}
				if err := read(i, w); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("reader %d, read %d: %w", w, j, err); close(failed) })
					return
				}
				lat = append(lat, time.Since(from))
			}
		})
	}
	wg.Wait()
	slices.Sort(all)
	return all, first
}

// Percentile is the p-th percentile (0 < p ≤ 100) of sorted latencies, by
// nearest rank.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ReportLatency reports a read benchmark's p50 and p99 in milliseconds and
// its reads per second over the benchmark's elapsed time.
func ReportLatency(b *testing.B, sorted []time.Duration) {
	b.Helper()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(Percentile(sorted, 50)), "p50-ms")
	b.ReportMetric(ms(Percentile(sorted, 99)), "p99-ms")
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(len(sorted))/s, "reads/s")
	}
}
