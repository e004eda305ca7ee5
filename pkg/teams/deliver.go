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
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
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
// workflow URL, starting, restarting and stopping them as the settings
// change (in any engine sharing the bucket), until ctx ends; then it
// stops them and returns nil. Engines that run it side by side share each
// relay's consumer, so each card is still posted once and in order.
func (t *Teams) Run(ctx context.Context) error {
	runs := map[string]*running{}
	defer func() {
		for _, r := range runs {
			r.stop()
		}
	}()
	wait := backoff.NewExponentialBackOff()
	wait.InitialInterval, wait.MaxInterval, wait.MaxElapsedTime = time.Second, time.Minute, 0
	for ctx.Err() == nil {
		started := func() {
			recs, err := bucket.All[record](ctx, t.kv, "tenant.*")
			if err != nil {
				t.log.Error("teams settings unreadable; deliveries unchanged", "err", err)
				return
			}
			present := map[string]bool{}
			for _, r := range recs {
				present[r.Value.Tenant] = true
				t.reconcile(ctx, runs, r.Value.Tenant)
			}
			for _, r := range runs {
				if !present[r.tenant] {
					t.reconcile(ctx, runs, r.tenant)
				}
			}
			wait.Reset()
			t.watchDown.Store(false)
		}
		err := bucket.Watch(ctx, t.kv, "tenant.*", started, func(e jetstream.KeyValueEntry) {
			t.reconcile(ctx, runs, strings.TrimPrefix(e.Key(), "tenant."))
		})
		if ctx.Err() != nil {
			break
		}
		// The watch ended (the server went away): the relays go on,
		// and a new watch catches up with what changed meanwhile.
		t.watchDown.Store(true)
		t.log.Warn("teams settings watch ended; watching again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait.NextBackOff()):
		}
	}
	return nil
}

// running is a relay the supervisor started.
type running struct {
	tenant string
	url    string
	since  time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *running) stop() {
	r.cancel()
	<-r.done
}

// reconcile makes the tenant's relays what its settings say: one per
// workflow URL not halted, from when the URL was set. A relay whose URL
// is gone is stopped and its consumer dropped; one that is halted keeps
// its consumer, to resume where it stopped.
func (t *Teams) reconcile(ctx context.Context, runs map[string]*running, tenant string) {
	s, err := t.settings(ctx, tenant)
	if err != nil && !errors.Is(err, ErrNotConfigured) {
		t.log.Error("teams settings unreadable; deliveries unchanged", "tenant", tenant, "err", err)
		return
	}
	for _, kind := range kinds {
		name := RelayName(tenant, kind)
		url, since, halted := s.kudosURL, s.kudosSince, s.kudosHalted
		if kind == kindNudges {
			url, since, halted = s.nudgesURL, s.nudgesSince, s.nudgesHalted
		}
		want := url != "" && halted == ""
		if cur := runs[name]; cur != nil && (!want || cur.url != url || !cur.since.Equal(since)) {
			cur.stop()
			delete(runs, name)
			if url == "" || !cur.since.Equal(since) {
				t.forgetRelay(ctx, name)
			}
			t.log.Info("teams deliveries stopped", "tenant", tenant, "relay", name)
		}
		if want && runs[name] == nil {
			runs[name] = t.start(ctx, tenant, kind, url, since)
			t.log.Info("teams deliveries started", "tenant", tenant, "relay", name)
		}
	}
}

// forgetRelay drops a relay's durable consumer, so that the next relay of
// that name starts where its settings say.
func (t *Teams) forgetRelay(ctx context.Context, name string) {
	if err := t.stream.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.log.Warn("teams relay consumer not dropped", "relay", name, "err", err)
	}
}

// start runs the tenant's relay of kind to url, from since, until it is
// stopped or halted; a relay that fails otherwise is run again after a
// while.
func (t *Teams) start(ctx context.Context, tenant, kind, url string, since time.Time) *running {
	rctx, cancel := context.WithCancel(ctx)
	r := &running{tenant: tenant, url: url, since: since, cancel: cancel, done: make(chan struct{})}
	rl := t.relay(tenant, kind, url, since)
	go func() {
		defer close(r.done)
		wait := backoff.NewExponentialBackOff()
		wait.InitialInterval, wait.MaxInterval, wait.MaxElapsedTime = time.Second, time.Minute, 0
		for {
			err := rl.Run(rctx)
			if rctx.Err() != nil {
				return
			}
			if errors.Is(err, errGone) {
				t.log.Warn("teams deliveries halted: the workflow answered 410 Gone", "tenant", tenant, "relay", rl.Name)
				if err := t.halt(context.WithoutCancel(rctx), tenant, kind, "the workflow answered 410 Gone at "+time.Now().UTC().Format(time.RFC3339)); err != nil {
					t.log.Error("teams halt not recorded", "tenant", tenant, "relay", rl.Name, "err", err)
				}
				return
			}
			t.log.Error("teams relay failed; running it again", "tenant", tenant, "relay", rl.Name, "err", err)
			select {
			case <-rctx.Done():
				return
			case <-time.After(wait.NextBackOff()):
			}
		}
	}()
	return r
}

// relay is the tenant's relay of kind to url.
func (t *Teams) relay(tenant, kind, url string, since time.Time) *relay.Relay {
	dir := t.cmd.Directory()
	r := &relay.Relay{
		Stream: t.stream, Name: RelayName(tenant, kind), Tenant: tenant, Start: since,
		Retries: t.retries, Dead: t.dead, Log: t.log,
	}
	switch kind {
	case kindKudos:
		r.Description = "Teams: public kudos of " + tenant + " as cards to its workflow"
		r.Filter = event.KudosSubject(tenant, "*", "given")
		r.Send = func(ctx context.Context, env event.Envelope, _ []byte) error {
			d, err := env.Decode()
			if err != nil {
				return backoff.Permanent(err)
			}
			k, ok := d.(event.KudosGiven)
			if !ok || k.Visibility != event.Public {
				return nil // a private kudos is seen only by the people in it
			}
			// A kudos retracted before its turn came is not posted.
			if live, err := t.cmd.KudosLive(ctx, tenant, env.ID); err != nil {
				return err
			} else if !live {
				return nil
			}
			return t.post(ctx, url, kudosCard(dir, tenant, env.ID, k))
		}
	default:
		r.Description = "Teams: nudges of " + tenant + "'s members as cards to its workflow"
		r.Filter = event.NudgeSubject(tenant, "*", "delivered")
		r.Send = func(ctx context.Context, env event.Envelope, _ []byte) error {
			d, err := env.Decode()
			if err != nil {
				return backoff.Permanent(err)
			}
			n, ok := d.(event.NudgeDelivered)
			if !ok {
				return nil
			}
			return t.post(ctx, url, nudgeCard(dir, tenant, env.ID, n))
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
