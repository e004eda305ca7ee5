package slack

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/relay"
)

// Run runs the relays of every tenant with Slack settings until ctx
// ends, and returns nil then. It watches the settings: a tenant
// configured starts its relays, one changed restarts them on the new
// settings (from their checkpoints), one removed stops them. A relay
// that stops on an error (a revoked token) runs again after the
// Restart delay.
func (a *App) Run(ctx context.Context) error {
	var (
		mu      sync.Mutex
		running = map[string]func(){} // tenant -> stop its relays and wait
	)
	stop := func(tenant string) {
		if s := running[tenant]; s != nil {
			s()
			delete(running, tenant)
		}
	}
	start := func(tenant string, st stored) {
		stop(tenant)
		opened, err := a.settings.opened(tenant, st)
		if err != nil {
			a.log.Error("slack relays not started: the settings do not open", "tenant", tenant, "err", err)
			return
		}
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, r := range a.relays(opened) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.keep(rctx, r)
			}()
		}
		running[tenant] = func() { cancel(); wg.Wait() }
	}
	changed := func(e jetstream.KeyValueEntry) {
		mu.Lock()
		defer mu.Unlock()
		tenant := strings.TrimPrefix(e.Key(), "tenant.")
		if e.Operation() != jetstream.KeyValuePut {
			stop(tenant)
			return
		}
		var st stored
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			a.log.Error("slack settings unreadable", "tenant", tenant, "err", err)
			stop(tenant)
			return
		}
		start(tenant, st)
	}
	started := func() {
		all, err := bucket.All[stored](ctx, a.settings.kv, "tenant.*")
		if err != nil {
			a.log.Error("slack settings unreadable", "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range all {
			start(strings.TrimPrefix(r.Key, "tenant."), r.Value)
		}
	}
	err := bucket.Watch(ctx, a.settings.kv, "tenant.*", started, changed)
	mu.Lock()
	defer mu.Unlock()
	for tenant := range running {
		stop(tenant)
	}
	return err
}

// keep runs r until ctx ends, again after Restart whenever it stops on
// an error.
func (a *App) keep(ctx context.Context, r *relay.Relay) {
	for {
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.Error("slack relay stopped; it runs again later", "relay", r.Name, "tenant", r.Tenant, "err", err, "restart_in", a.restart.String())
		t := time.NewTimer(a.restart)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
