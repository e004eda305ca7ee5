package webhook

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
)

// resync is how often Serve reads every subscription again, whatever its
// watch said: a relay that failed is started again then.
const resync = 30 * time.Second

// Serve delivers to every active subscription of the registry until ctx
// ends, following its changes: a new subscription starts; one whose
// secrets rotated signs with the new ones from its next delivery, without
// stopping (a stop could cut a delivery off between its answer and its
// acknowledgement, and send it twice); one disabled stops; one deleted
// stops and its consumer is deleted. It returns nil when ctx ends.
//
// Engines sharing the stream may all serve: a subscription's relay is one
// durable consumer with one event in flight, whichever engine holds it.
func (d *Deliverer) Serve(ctx context.Context) error {
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	go func() {
		_ = bucket.Watch(ctx, d.Registry.kv, "sub.>", poke, func(jetstream.KeyValueEntry) { poke() })
	}()
	type running struct {
		sub  Subscription
		sign *signing
		stop context.CancelFunc
		done chan struct{}
	}
	live := map[string]*running{}
	defer func() {
		for _, r := range live {
			r.stop()
			<-r.done
		}
	}()
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
		subs, err := d.Registry.List(ctx, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d.Log.Warn("webhook subscriptions unreadable; trying again", "err", err)
			continue
		}
		want := map[string]Subscription{}
		for _, s := range subs {
			if s.DisabledAt == nil {
				want[s.ID] = s
			}
		}
		for id, r := range live {
			s, ok := want[id]
			select {
			case <-r.done: // ended by itself (disabled, or failed): start it again below
			default:
				if ok && sameButSecrets(s, r.sub) {
					// Rotated, or an overlap ran out: signs as it now says.
					if next, err := d.signing(s); err == nil {
						r.sign.secrets.Store(next.secrets.Load())
						r.sub = s
						continue
					}
				}
				r.stop()
				<-r.done
			}
			delete(live, id)
			if !ok && !d.Registry.exists(ctx, r.sub) {
				d.forget(ctx, r.sub)
			}
		}
		for id, s := range want {
			if live[id] != nil {
				continue
			}
			sign, err := d.signing(s)
			if err != nil {
				d.Log.Error("webhook secrets do not open; not delivering", "subscription", s.ID, "tenant", s.Tenant, "err", err)
				continue
			}
			rctx, stop := context.WithCancel(ctx)
			r := &running{sub: s, sign: sign, stop: stop, done: make(chan struct{})}
			live[id] = r
			go func() {
				defer close(r.done)
				err := d.run(rctx, s, sign)
				switch {
				case errors.Is(err, ErrDisabled):
					poke()
				case err != nil && rctx.Err() == nil:
					d.Log.Error("webhook deliveries stopped; starting again at the next resync", "subscription", s.ID, "tenant", s.Tenant, "err", err)
				}
			}()
		}
	}
}

// sameButSecrets reports whether a and b differ in their secrets at most.
func sameButSecrets(a, b Subscription) bool {
	a.Secrets, b.Secrets = nil, nil
	return reflect.DeepEqual(a, b)
}

// exists reports whether s is still in the registry (disabled, say);
// when unsure it says yes, so that nothing is forgotten by mistake.
func (r *Registry) exists(ctx context.Context, s Subscription) bool {
	_, err := r.Get(ctx, s.Tenant, s.ID)
	return !errors.Is(err, ErrNotFound)
}

// forget deletes the consumer of a deleted subscription.
func (d *Deliverer) forget(ctx context.Context, s Subscription) {
	err := d.Stream.DeleteConsumer(ctx, RelayName(s.ID))
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		d.Log.Warn("webhook consumer of a deleted subscription not deleted", "subscription", s.ID, "err", err)
	}
}
