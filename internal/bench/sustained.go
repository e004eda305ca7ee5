package bench

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Acked tracks the stream sequences the write side has acknowledged over
// time, to tell how far behind a projection is in time: its lag is how
// long ago the oldest event it has not applied was acknowledged, to the
// resolution of the sampling (Sample's period).
type Acked struct {
	newest atomic.Uint64 // highest sequence acknowledged so far

	mu      sync.Mutex
	at      []time.Time
	highest []uint64 // highest[i]: newest when at[i]; nondecreasing
}

// Saw records an acknowledged sequence. Safe for concurrent use.
func (a *Acked) Saw(seq uint64) {
	for {
		cur := a.newest.Load()
		if seq <= cur || a.newest.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Tick records the newest sequence acknowledged by now.
func (a *Acked) Tick(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at = append(a.at, now)
	a.highest = append(a.highest, a.newest.Load())
}

// Lag is how far behind, at now, a projection that has applied the stream
// up to applied is: since the first tick that had seen a sequence after
// applied, 0 when none had.
func (a *Acked) Lag(applied uint64, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := sort.Search(len(a.highest), func(i int) bool { return a.highest[i] > applied })
	if i == len(a.highest) {
		return 0
	}
	return max(now.Sub(a.at[i]), 0)
}

// Lags samples, every period until ctx ends, the lag of each of the named
// projections (position returns where each has applied up to) and returns
// them sorted, by name.
func (a *Acked) Lags(ctx context.Context, period time.Duration, position map[string]func() uint64) map[string][]time.Duration {
	out := map[string][]time.Duration{}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, l := range out {
				slices.Sort(l)
			}
			return out
		case now := <-t.C:
			a.Tick(now)
			for name, pos := range position {
				out[name] = append(out[name], a.Lag(pos(), now))
			}
		}
	}
}

// Paced runs work from workers goroutines at rate calls a second in all,
// for d, and returns how many calls were made: fewer than rate × d when
// the workers could not keep up. The first error of a call stops it.
func Paced(ctx context.Context, workers int, rate float64, d time.Duration, work func(w, i int) error) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tokens := make(chan struct{}, workers)
	go func() {
		start := time.Now()
		sent := 0
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			due := int(min(time.Since(start).Seconds()*rate, 1<<40))
			sent = max(sent, due-cap(tokens)) // more could not be taken anyway
			for ; sent < due; sent++ {
				select {
				case tokens <- struct{}{}:
				default: // the workers are behind: the call is not made
				}
			}
		}
	}()
	var (
		done     atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tokens:
				}
				if err := work(w, i); err != nil {
					if ctx.Err() == nil {
						errOnce.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return int(done.Load()), firstErr
}

// HeapAfterGC is the live heap, in bytes, after a full collection.
func HeapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
