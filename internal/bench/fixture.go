package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/time/rate"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Fixture is a data dir holding a workload's stream, laid out as an
// engine's, for the benchmarks of one process. It serves the stream first
// from a bare embedded NATS (Store), for catch-up races with nothing else
// running, and then from a real engine (Engine), for reads. Not safe for
// concurrent use.
type Fixture struct {
	Dir    string
	Result Result

	srv   *natsembed.Server
	nc    *nats.Conn
	store *eventstore.Store

	eng     *engine.Engine
	stopEng context.CancelFunc
}

// NewFixture publishes the workload cfg into a new stream under dir.
func NewFixture(ctx context.Context, dir string, cfg Config, progress func(done int)) (*Fixture, error) {
	f := &Fixture{Dir: dir}
	if _, err := f.Store(ctx); err != nil {
		return nil, err
	}
	res, err := Publish(ctx, f.nc, cfg, progress)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.Result = res
	return f, nil
}

// JetStreamDir is where an engine with data dir dir keeps JetStream's files.
func JetStreamDir(dir string) string { return filepath.Join(dir, "jetstream") }

// ProjectionsDir is where an engine with data dir dir keeps the projections'
// stores. A store caught up elsewhere and moved there (StoreFile) spares the
// engine's projector the catch-up: it starts after the store's sequence.
func ProjectionsDir(dir string) string { return filepath.Join(dir, "projections") }

// Store serves the stream from a bare embedded NATS, stopping the engine if
// one runs.
func (f *Fixture) Store(ctx context.Context) (*eventstore.Store, error) {
	if f.store != nil {
		return f.store, nil
	}
	if err := f.stopEngine(); err != nil {
		return nil, err
	}
	// The engine's own keys, so that the streams land in the account the
	// engine later finds them in.
	keys, err := natsauth.LoadOrCreate(filepath.Join(f.Dir, "nats", "keys"))
	if err != nil {
		return nil, err
	}
	srv, err := natsembed.Start(natsembed.Options{
		StoreDir: JetStreamDir(f.Dir), Auth: keys, ResolverDir: filepath.Join(f.Dir, "nats", "accounts"),
	})
	if err != nil {
		return nil, err
	}
	nc, err := srv.Connect("bench")
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, err
	}
	f.srv, f.nc, f.store = srv, nc, st
	return st, nil
}

func (f *Fixture) stopStore() {
	if f.srv == nil {
		return
	}
	_ = f.nc.Drain()
	f.nc.Close()
	f.srv.Shutdown()
	f.srv, f.nc, f.store = nil, nil, nil
}

// Engine serves the stream from a real engine running modules, with key as
// its bootstrap admin key, stopping the bare NATS; it returns once every
// projection has applied the whole stream. Later calls return the same
// engine whatever they pass.
func (f *Fixture) Engine(ctx context.Context, key string, modules ...projector.Module) (*engine.Engine, error) {
	if f.eng != nil {
		return f.eng, nil
	}
	f.stopStore()
	runCtx, stop := context.WithCancel(context.Background())
	e, err := engine.Start(runCtx, engine.Config{
		DataDir: f.Dir, HTTPAddr: "127.0.0.1:0", BootstrapKey: key, Modules: modules, Limits: NoRateLimits,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		stop()
		return nil, err
	}
	f.eng, f.stopEng = e, stop
	for _, m := range modules {
		t, err := TargetOf(ctx, e.Store.Stream(), m.Projection.Filters())
		if err != nil {
			return nil, err
		}
		r := e.Runners[m.Projection.Name()]
		for r.LastSeq() < t.Last {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("bench: engine's %s at %d of %d: %w", r.Name(), r.LastSeq(), t.Last, ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return e, nil
}

func (f *Fixture) stopEngine() error {
	if f.eng == nil {
		return nil
	}
	// Wait shuts the engine down once the context it is given ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.stopEng()
	err := f.eng.Wait(ctx, 10*time.Second)
	f.eng, f.stopEng = nil, nil
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("bench: engine: %w", err)
	}
	return nil
}

// Close stops whatever serves the stream. The data dir stays.
func (f *Fixture) Close() error {
	f.stopStore()
	return f.stopEngine()
}

// NoRateLimits lifts the per-key and per-client request rates (each
// benchmark drives one key or address far past what a person would), and
// keeps the rest of api.DefaultLimits.
var NoRateLimits = func() api.Limits {
	l := api.DefaultLimits
	l.PerKey, l.PerClient = rate.Inf, rate.Inf
	return l
}()
