package slack

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/pkg/relay"
)

// Run runs the relays of every tenant with Slack settings until ctx
// ends, then stops them and returns nil (relay.Supervisor). It follows
// the settings, in any engine sharing the bucket: a tenant configured
// starts its relays from the settings' creation; a change of its
// settings (the token, the channels, the emoji) is taken up by the
// running relays, without a restart; a tenant removed has its relays
// stopped and their consumers deleted. A relay that stops on an error
// (a revoked token) runs again after the Restart delay.
func (a *App) Run(ctx context.Context) error {
	return a.sup.Run(ctx)
}

// supervisor makes the supervisor of the app's relays.
func (a *App) supervisor() *relay.Supervisor {
	restart := a.restart
	return &relay.Supervisor{
		Stream: a.store.Stream(), Desired: a.desired, Watch: a.settings.store.Watch,
		Restart: func() backoff.BackOff { return backoff.NewConstantBackOff(restart) },
		Log:     a.log,
	}
}

// desired are the relays of every tenant with Slack settings, on their
// settings as they are now. The settings of a tenant whose relays run
// already are swapped in under them (current), and read by their Send
// from the next event on. A tenant whose secrets do not open keeps its
// relays' checkpoints, paused.
func (a *App) desired(ctx context.Context) (map[string]relay.Spec, error) {
	all, err := a.settings.store.All(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]relay.Spec{}
	seen := map[string]bool{}
	for _, r := range all {
		tenant := strings.TrimPrefix(r.Key, "tenant.")
		seen[tenant] = true
		st, err := a.settings.opened(tenant, r.Value)
		paused := err != nil
		if paused {
			a.log.Error("slack relays paused: the settings do not open", "tenant", tenant, "err", err)
			st = settings{tenant: tenant, createdAt: r.Value.CreatedAt}
		}
		cur := a.current[tenant]
		if cur == nil {
			cur = new(atomic.Pointer[settings])
			a.current[tenant] = cur
		}
		if !paused {
			cur.Store(&st)
		}
		for _, rl := range a.relays(st, cur) {
			out[rl.Name] = relay.Spec{Relay: rl, Paused: paused}
		}
	}
	for tenant := range a.current {
		if !seen[tenant] {
			delete(a.current, tenant)
		}
	}
	return out, nil
}
