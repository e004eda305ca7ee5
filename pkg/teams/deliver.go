package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// The deliveries of a tenant, one relay each.
const (
	kindKudos  = "kudos"  // public kudos, to kudos_url
	kindNudges = "nudges" // nudges delivered, to nudges_url
)

var kinds = []string{kindKudos, kindNudges}

// RelayName is the name of a tenant's relay of kind ("kudos" or
// "nudges"): its durable consumer, and where its dead letters are kept.
// Renaming it would deliver again from the settings' start.
func RelayName(tenant, kind string) string { return "teams_" + tenant + "_" + kind }

// errGone halts a relay: its workflow answered 410 Gone (deleted, or
// turned off).
var errGone = errors.New("teams: the workflow answered 410 Gone")

// Run runs the deliveries of every tenant's Teams settings, a relay per
// workflow URL, until ctx ends; then it stops them and returns nil
// (relay.Supervisor). It follows the settings, in any engine sharing the
// bucket: a URL set starts its relay from then; a URL changed is posted
// to from the next card on, without a restart; a URL removed, or the
// settings removed, stops its relay and deletes its consumer; a relay
// halted by 410 Gone keeps its consumer, to resume where it stopped once
// the URL is set again. Engines that run it side by side share each
// relay's consumer, so each card is still posted once and in order.
func (t *Teams) Run(ctx context.Context) error {
	return t.sup.Run(ctx)
}

// supervisor makes the supervisor of the integration's relays.
func (t *Teams) supervisor() *relay.Supervisor {
	return &relay.Supervisor{Stream: t.stream, Desired: t.desired, Watch: t.store.Watch, Log: t.log}
}

// desired are the relays of every tenant's settings as they are now: one
// per workflow URL set, paused while halted (or while the settings do
// not open). The settings of a tenant whose relays run already are
// swapped in under them (current), and read by their Send from the next
// card on.
func (t *Teams) desired(ctx context.Context) (map[string]relay.Spec, error) {
	all, err := t.store.All(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]relay.Spec{}
	seen := map[string]bool{}
	for _, rec := range all {
		r := rec.Value
		seen[r.Tenant] = true
		s, err := t.open(r)
		unopened := err != nil
		if unopened {
			t.log.Error("teams deliveries paused: the settings do not open", "tenant", r.Tenant, "err", err)
		}
		cur := t.current[r.Tenant]
		if cur == nil {
			cur = new(atomic.Pointer[settings])
			t.current[r.Tenant] = cur
		}
		if !unopened {
			cur.Store(&s)
		}
		for _, d := range []struct {
			kind   string
			set    bool
			since  time.Time
			halted string
		}{
			{kindKudos, r.KudosURL != nil, r.KudosSince, r.KudosHalted},
			{kindNudges, r.NudgesURL != nil, r.NudgesSince, r.NudgesHalted},
		} {
			if !d.set {
				continue
			}
			rl := t.relay(r.Tenant, d.kind, d.since, cur)
			out[rl.Name] = relay.Spec{Relay: rl, Paused: unopened || d.halted != ""}
		}
	}
	for tenant := range t.current {
		if !seen[tenant] {
			delete(t.current, tenant)
		}
	}
	return out, nil
}

// errNoURL is a card whose relay has no URL to post to (its settings
// were just removed, and the relay is about to stop): it is retried, not
// passed over.
var errNoURL = errors.New("teams: no workflow URL")

// relay is the tenant's relay of kind, from since, posting to the URL
// its settings in cur say when each card comes.
func (t *Teams) relay(tenant, kind string, since time.Time, cur *atomic.Pointer[settings]) relay.Relay {
	dir := t.cmd.Directory()
	r := relay.Relay{
		Stream: t.stream, Name: RelayName(tenant, kind), Tenant: tenant, Start: since,
		Retries: t.retries, Dead: t.dead, Log: t.log,
	}
	url := func() string {
		s := cur.Load()
		switch {
		case s == nil:
			return ""
		case kind == kindKudos:
			return s.kudosURL
		}
		return s.nudgesURL
	}
	deliver := func(ctx context.Context, env event.Envelope, card func(d event.Data) (Post, bool)) error {
		u := url()
		if u == "" {
			return errNoURL
		}
		d, err := env.Decode()
		if err != nil {
			return backoff.Permanent(err)
		}
		// Private kudos are seen only by the people in them, and a kudos
		// retracted before its turn came is not posted.
		if ok, err := chat.Deliverable(ctx, t.cmd, tenant, env, d); err != nil || !ok {
			return err
		}
		p, ok := card(d)
		if !ok {
			return nil
		}
		err = t.post(ctx, u, p)
		if errors.Is(err, errGone) {
			t.log.Warn("teams deliveries halted: the workflow answered 410 Gone", "tenant", tenant, "relay", r.Name)
			why := "the workflow answered 410 Gone at " + time.Now().UTC().Format(time.RFC3339)
			if herr := t.halt(context.WithoutCancel(ctx), tenant, kind, u, why); herr != nil {
				t.log.Error("teams halt not recorded", "tenant", tenant, "relay", r.Name, "err", herr)
			}
		}
		return err
	}
	switch kind {
	case kindKudos:
		r.Description = "Teams: public kudos of " + tenant + " as cards to its workflow"
		r.Filter = event.KudosSubject(tenant, "*", "given")
		r.Send = func(ctx context.Context, env event.Envelope, _ []byte) error {
			return deliver(ctx, env, func(d event.Data) (Post, bool) {
				k, ok := d.(event.KudosGiven)
				if !ok {
					return Post{}, false
				}
				return kudosCard(dir, tenant, env.ID, k), true
			})
		}
	default:
		r.Description = "Teams: nudges of " + tenant + "'s members as cards to its workflow"
		r.Filter = event.NudgeSubject(tenant, "*", "delivered")
		r.Send = func(ctx context.Context, env event.Envelope, _ []byte) error {
			return deliver(ctx, env, func(d event.Data) (Post, bool) {
				n, ok := d.(event.NudgeDelivered)
				if !ok {
					return Post{}, false
				}
				return nudgeCard(dir, tenant, env.ID, n), true
			})
		}
	}
	return r
}

// post sends a card to a workflow, and says whether it took it (a 2xx).
// A 429 or 503 with Retry-After is retried no sooner than it asks; 410
// halts the relay; another 4xx but 408 will not change on a retry. The
// URL is never in an error: it is the workflow's credential.
func (t *Teams) post(ctx context.Context, raw string, p Post) error {
	where := redact(raw)
	if err := t.policy.CheckURL(raw); err != nil {
		return backoff.Permanent(fmt.Errorf("teams: post to %s: %w", where, webhook.ErrDestination))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return backoff.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(b))
	if err != nil {
		return backoff.Permanent(fmt.Errorf("teams: post to %s: bad URL", where))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Plaudit-Teams/1")
	resp, err := t.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the URL
		}
		err = fmt.Errorf("teams: post to %s: %w", where, err)
		if errors.Is(err, webhook.ErrDestination) {
			return backoff.Permanent(err)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	code := resp.StatusCode
	err = fmt.Errorf("teams: the workflow at %s answered %d", where, code)
	switch {
	case code/100 == 2:
		return nil
	case code == http.StatusGone:
		return relay.Halt(errGone)
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if after, ok := webhook.RetryAfter(resp.Header); ok {
			return &relay.RetryAfterError{After: after, Err: err}
		}
		return err
	case code == http.StatusRequestTimeout:
		return err
	case code/100 == 4:
		return backoff.Permanent(err)
	}
	return err
}
