package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/projector"
)

// ProcessManager is the kind of projection that acts on the stream (the
// rules engine): from Apply it sends commands through the write side, in
// Apply's ctx, and RunTimers acts on the clock, beside its runner, with the
// queries of every projection, local or remote. The engine hands it the
// command service, and tails the directory for it even when it runs alone.
//
// Its commands must be idempotent, their event ids derived from the event
// that caused them: a batch it acted in may be applied again after a crash
// before its commit, and acting again must store nothing new. On a rebuild
// (projector.Event.Replay) it rebuilds its state and sends nothing.
type ProcessManager interface {
	projector.Projection
	UseCommands(*command.Service)
	RunTimers(ctx context.Context, t projector.Timers) error
}

// MetricsUser is a projection with metrics of its own beside the
// runtime's: the engine hands it its registry.
type MetricsUser interface {
	UseMetrics(prometheus.Registerer)
}

// startProjections opens a Runner per module (or only cfg.Only), runs them,
// serves their queries over NATS and hands them to the gateway in process.
func (e *Engine) startProjections(ctx context.Context) error {
	e.metrics = prometheus.NewRegistry()
	e.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e.registerMetrics()
	m := projector.NewMetrics(e.metrics)
	if _, err := projector.EnsureDeadLetterStream(ctx, e.Store.JetStream(), e.cfg.Replicas); err != nil {
		return err
	}
	e.Runners = map[string]*projector.Runner{}
	queries := map[string]projector.QueryFunc{}
	found := false
	for _, mod := range e.cfg.Modules {
		name := mod.Projection.Name()
		if e.cfg.Only != "" && e.cfg.Only != name {
			continue
		}
		found = true
		if pm, ok := mod.Projection.(ProcessManager); ok {
			pm.UseCommands(e.Command)
		}
		if u, ok := mod.Projection.(MetricsUser); ok {
			u.UseMetrics(e.metrics)
		}
		r, err := projector.New(mod.Projection, projector.Config{
			Stream: e.Store, Dir: filepath.Join(e.cfg.DataDir, "projections"), Replica: e.cfg.Replica,
			Logger: e.log, Metrics: m, TracerProvider: e.cfg.TracerProvider,
		})
		if err != nil {
			return err
		}
		e.Runners[name] = r
		e.goRun("projection "+name, r.Run)
		if mod.Queries == nil {
			continue
		}
		now := e.cfg.Now
		if now == nil {
			now = timeNow
		}
		q := mod.Queries(r, now)
		svc, err := projector.ServeQueries(e.runCtx, e.nc, name, Version, q)
		if err != nil {
			return err
		}
		e.qsvcs = append(e.qsvcs, svc)
		for k, fn := range q {
			queries[k] = fn
		}
	}
	for name, newComponent := range e.cfg.Components {
		if e.cfg.Only != "" && e.cfg.Only != name {
			continue
		}
		found = true
		c, err := newComponent(ComponentDeps{Store: e.Store, Metrics: e.metrics, Logger: e.log, Replica: e.cfg.Replica, TracerProvider: e.cfg.TracerProvider})
		if err != nil {
			return err
		}
		if e.Components == nil {
			e.Components = map[string]Component{}
		}
		e.Components[name] = c
		e.goRun(name, c.Run)
	}
	if e.cfg.Only != "" && !found {
		return fmt.Errorf("engine: no projection %q", e.cfg.Only)
	}
	// Queries of projections not running here go to their replicas.
	for _, q := range apiv1.Queries {
		if _, ok := queries[q.Name]; !ok {
			queries[q.Name] = projector.RemoteQuery(e.nc, q.Name)
		}
	}
	e.Gateway.SetQueries(queries)
	e.Gateway.SetProjections(e)
	now := e.cfg.Now
	if now == nil {
		now = timeNow
	}
	for _, mod := range e.cfg.Modules {
		r, ok := e.Runners[mod.Projection.Name()]
		if pm, isPM := mod.Projection.(ProcessManager); ok && isPM {
			e.goRun("timers "+r.Name(), func(ctx context.Context) error {
				return pm.RunTimers(ctx, projector.Timers{Runner: r, Now: now, Queries: queries, Logger: e.log})
			})
		}
	}
	return nil
}

// Statuses implements api.Projections.
func (e *Engine) Statuses(ctx context.Context) []projector.Status {
	out := make([]projector.Status, 0, len(e.Runners))
	for _, r := range e.Runners {
		s, err := r.Status(ctx)
		if err != nil {
			e.log.Warn("projection status", "projection", r.Name(), "err", err)
		}
		out = append(out, s)
	}
	return out
}

// Rebuild implements api.Projections: the rebuild runs in the background,
// stopped with the engine.
func (e *Engine) Rebuild(name string) error {
	r, ok := e.Runners[name]
	if !ok {
		return api.ErrNoProjection
	}
	started, err := r.StartRebuild()
	if err != nil {
		return err
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := started(e.runCtx); err != nil && e.runCtx.Err() == nil {
			e.log.Error("rebuild failed", "projection", name, "err", err)
		}
	}()
	return nil
}
