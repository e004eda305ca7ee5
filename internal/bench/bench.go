package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
)

// AdminKey is the bootstrap admin key of the engines the read benchmarks
// start.
const AdminKey = "bench-admin-key-0123456789"

// Env is the fixture of one top-level benchmark: built when a sub-benchmark
// first needs it, so that a -bench pattern that selects none of them costs
// nothing, and torn down with the top-level benchmark. The workload is
// ConfigFromEnv's.
type Env struct {
	parent *testing.B
	once   sync.Once
	fx     *Fixture
	err    error
	runs   int // catch-up iterations so far, across b.N rounds
}

// NewEnv returns the lazily built fixture of parent, a top-level benchmark.
// The benchmark process runs with plauditd's garbage collector setting
// (engine.DefaultGCPercent), raw baselines included, unless GOGC is set.
func NewEnv(parent *testing.B) *Env {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(engine.DefaultGCPercent)
	}
	return &Env{parent: parent}
}

// Fixture builds the stream on first use, or fails b.
func (e *Env) Fixture(b *testing.B) *Fixture {
	b.Helper()
	e.once.Do(func() {
		cfg, err := ConfigFromEnv()
		if err != nil {
			e.err = err
			return
		}
		dir := e.parent.TempDir()
		start := time.Now()
		fmt.Fprintf(os.Stderr, "bench: publishing %d members and %d events for %s…\n", cfg.Members, cfg.Events, e.parent.Name())
		e.fx, e.err = NewFixture(context.Background(), dir, cfg, nil)
		if e.err == nil {
			e.parent.Cleanup(func() { _ = e.fx.Close() })
			fmt.Fprintf(os.Stderr, "bench: %d events stored in %s\n", e.fx.Result.Total(), time.Since(start).Round(100*time.Millisecond))
		}
	})
	if e.err != nil {
		b.Fatalf("workload: %v", e.err)
	}
	return e.fx
}

// Store is the fixture's stream on a bare embedded NATS, or fails b.
func (e *Env) Store(b *testing.B) *eventstore.Store {
	b.Helper()
	st, err := e.Fixture(b).Store(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// Engine is a real engine over the fixture running mod, caught up, or fails
// b. The store the last catch-up left, if any, spares it the catch-up.
func (e *Env) Engine(b *testing.B, mod projector.Module) *engine.Engine {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	eng, err := e.Fixture(b).Engine(ctx, AdminKey, mod)
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// CatchUp runs the catch-up benchmarks of mod's projection as
// sub-benchmarks of b:
//
//   - "raw", a raw JetStream consumer of the whole stream (RawCatchUp): the
//     baseline the others are a ratio to;
//   - "runtime", the projector runtime with a projection on the same
//     filters that keeps nothing: the runtime's own share of the cost;
//   - "projector", the projection's runner with a fresh store.
//
// Each iteration reads the whole stream; all report events/s over the
// events of the stream, those the projection applies and those it reads
// past. The last projector iteration's store is left where an engine finds
// it (ProjectionsDir), for the read benchmarks.
func (e *Env) CatchUp(b *testing.B, mod projector.Module) {
	p := mod.Projection
	target := func(b *testing.B) (*eventstore.Store, Target) {
		b.Helper()
		st := e.Store(b)
		t, err := TargetOf(context.Background(), st.Stream(), p.Filters())
		if err != nil {
			b.Fatal(err)
		}
		return st, t
	}
	b.Run("raw", func(b *testing.B) {
		st, t := target(b)
		b.ResetTimer()
		b.StopTimer()
		for range b.N {
			e.runs++
			runtime.GC()
			b.StartTimer()
			n, err := RawCatchUp(context.Background(), st.Stream(), "bench_raw_"+strconv.Itoa(e.runs), t, b.StopTimer)
			if err != nil {
				b.Fatal(err)
			}
			if uint64(n) != t.Stream {
				b.Fatalf("raw consumer read %d events, want %d", n, t.Stream)
			}
		}
		reportEvents(b, t.Stream)
	})
	// rounds runs b.N catch-ups of proj, each into a fresh store, timing
	// only the catch-up; done checks each and disposes of its store.
	rounds := func(b *testing.B, proj projector.Projection, done func(s projector.Status, t Target, dir string)) {
		st, t := target(b)
		b.ResetTimer()
		b.StopTimer()
		for range b.N {
			e.runs++
			dir := filepath.Join(e.Fixture(b).Dir, "catchup-"+strconv.Itoa(e.runs))
			runtime.GC()
			b.StartTimer()
			s, err := CatchUp(context.Background(), st, proj, dir, "bench"+strconv.Itoa(e.runs), t, b.StopTimer)
			if err != nil {
				b.Fatal(err)
			}
			done(s, t, dir)
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, t.Stream)
	}
	b.Run("runtime", func(b *testing.B) {
		rounds(b, runtimeOnly{p}, func(s projector.Status, t Target, _ string) {
			if s.Applied != t.Matching {
				b.Fatalf("the runtime handed %d events to a projection on %s's filters, want %d", s.Applied, p.Name(), t.Matching)
			}
		})
	})
	b.Run("projector", func(b *testing.B) {
		keep := StoreFile(ProjectionsDir(e.Fixture(b).Dir), p)
		if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
			b.Fatal(err)
		}
		rounds(b, p, func(s projector.Status, t Target, dir string) {
			if s.Applied != t.Matching || s.LastSeq < t.Last {
				b.Fatalf("%s applied %d events up to %d, want %d up to %d", p.Name(), s.Applied, s.LastSeq, t.Matching, t.Last)
			}
			if err := os.RemoveAll(keep); err != nil { // a store is a directory
				b.Fatal(err)
			}
			if err := os.Rename(StoreFile(dir, p), keep); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// runtimeOnly is a projection on p's filters that keeps nothing: what its
// catch-up costs is the runtime's own share (reading, decoding and checking
// each event, one store transaction per batch).
type runtimeOnly struct{ p projector.Projection }

func (r runtimeOnly) Name() string                                              { return r.p.Name() + "_runtime_only" }
func (r runtimeOnly) Filters() []string                                         { return r.p.Filters() }
func (runtimeOnly) Apply(context.Context, *projector.Tx, projector.Event) error { return nil }

func reportEvents(b *testing.B, perRun uint64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)*float64(perRun)/s, "events/s")
	}
	b.ReportMetric(float64(perRun), "events/run")
}

// Requests are the requests of a read benchmark, one of each form per read:
// Bodies for the projection's query function, Paths (with their query
// strings) for the HTTP API. Read i asks Bodies[i%len] or Paths[i%len].
type Requests struct {
	Query  string // the query's name among the module's queries
	Bodies [][]byte
	Paths  []string
	// Check fails on an answer to the first request that would make the
	// benchmark measure nothing (an empty page, say).
	Check func(answer []byte) error
}

// NewRequests makes the requests of one query's read benchmarks, 4096 of
// them: ask(i) is the i-th, as the request the query function takes (sent
// as JSON) and the path of the same read on the HTTP API. Their Check
// decodes the answer as a Resp for check.
func NewRequests[Resp any](b *testing.B, query string, ask func(i int) (req any, path string), check func(Resp) error) Requests {
	b.Helper()
	reqs := Requests{Query: query, Check: func(answer []byte) error {
		var resp Resp
		if err := json.Unmarshal(answer, &resp); err != nil {
			return err
		}
		return check(resp)
	}}
	for i := range 4096 {
		req, path := ask(i)
		body, err := json.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		reqs.Bodies = append(reqs.Bodies, body)
		reqs.Paths = append(reqs.Paths, path)
	}
	return reqs
}

// Projection runs the benchmarks of mod's projection as sub-benchmarks of
// b, a top-level benchmark, over the fixture of NewEnv(b): "catchup"
// (CatchUp), and the read benchmarks (Reads), named reads, of the requests
// that requests makes for the workload's members.
func Projection(b *testing.B, mod projector.Module, reads string, requests func(b *testing.B, members int) Requests) {
	env := NewEnv(b)
	b.Run("catchup", func(b *testing.B) { env.CatchUp(b, mod) })
	b.Run(reads, func(b *testing.B) {
		env.Reads(b, mod, requests(b, env.Fixture(b).Result.Members))
	})
}

// Reads runs the read benchmarks of one query of mod as sub-benchmarks of
// b, against a real engine over the fixture running mod: "inprocess", the
// projection's query function, and "http", GET through the engine's HTTP
// API with the bootstrap admin key, both with Readers readers flat out; and
// "http-<rate>rps", the HTTP reads paced to ReadRate. Each reports p50-ms,
// p99-ms and reads/s.
func (e *Env) Reads(b *testing.B, mod projector.Module, reqs Requests) {
	run := func(b *testing.B, load Load, read func(i, reader int) ([]byte, error)) {
		b.Helper()
		answer, err := read(0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := reqs.Check(answer); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.ResetTimer()
		lat, err := Latencies(b.N, load, func(i, reader int) error {
			_, err := read(i, reader)
			return err
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		ReportLatency(b, lat)
	}
	b.Run("inprocess", func(b *testing.B) {
		eng := e.Engine(b, mod)
		r, ok := eng.Runners[mod.Projection.Name()]
		if !ok {
			b.Fatalf("the engine runs no %s projection", mod.Projection.Name())
		}
		query := mod.Queries(r, time.Now)[reqs.Query]
		if query == nil {
			b.Fatalf("%s answers no query %s", mod.Projection.Name(), reqs.Query)
		}
		ctx := context.Background()
		run(b, Load{Readers: Readers}, func(i, _ int) ([]byte, error) {
			return query(ctx, reqs.Bodies[i%len(reqs.Bodies)])
		})
	})
	httpReads := func(b *testing.B, load Load) {
		eng := e.Engine(b, mod)
		base := "http://" + eng.HTTPAddr()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: Readers, MaxIdleConnsPerHost: Readers, IdleConnTimeout: time.Minute,
		}}
		defer client.CloseIdleConnections()
		run(b, load, func(i, _ int) ([]byte, error) {
			return Get(context.Background(), client, base+reqs.Paths[i%len(reqs.Paths)], AdminKey)
		})
	}
	b.Run("http", func(b *testing.B) { httpReads(b, Load{Readers: Readers}) })
	rate, err := ReadRate()
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("http-%drps", rate), func(b *testing.B) { httpReads(b, Load{Readers: Readers, Rate: float64(rate)}) })
	writes, err := WriteRate()
	if err != nil {
		b.Fatal(err)
	}
	// In process again, while kudos and reactions are written: the
	// projection applies them and its read-side cache drops what they
	// change. Last, as it adds to the stream.
	b.Run(fmt.Sprintf("inprocess-writes-%deps", writes), func(b *testing.B) {
		eng := e.Engine(b, mod)
		r := eng.Runners[mod.Projection.Name()]
		query := mod.Queries(r, time.Now)[reqs.Query]
		cfg := Config{Members: e.Fixture(b).Result.Members}
		ctx, stop := context.WithCancel(context.Background())
		written := make(chan error, 1)
		var n int
		began := time.Now()
		go func() {
			var err error
			n, err = WriteLive(ctx, eng.Store.JetStream(), cfg, writes)
			written <- err
		}()
		stopped := false
		halt := func() error { // stops the writer once, even when run fails b
			if stopped {
				return nil
			}
			stopped = true
			stop()
			return <-written
		}
		defer func() { _ = halt() }()
		run(b, Load{Readers: Readers}, func(i, _ int) ([]byte, error) {
			return query(context.Background(), reqs.Bodies[i%len(reqs.Bodies)])
		})
		if err := halt(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(began).Seconds(), "writes/s")
	})
}

// Get reads url with key as its bearer and wants 200 OK: how the read
// benchmarks and rssprobe ask an engine.
func Get(ctx context.Context, c *http.Client, url, key string) ([]byte, error) {
	return send(ctx, c, http.MethodGet, url, key, nil, http.StatusOK)
}

// Post sends body, JSON, to url with key as its bearer and wants 201
// Created: how the give-kudos benchmark over HTTP gives.
func Post(ctx context.Context, c *http.Client, url, key string, body []byte) ([]byte, error) {
	return send(ctx, c, http.MethodPost, url, key, body, http.StatusCreated)
}

func send(ctx context.Context, c *http.Client, method, url, key string, body []byte, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, reply)
	}
	return reply, nil
}
