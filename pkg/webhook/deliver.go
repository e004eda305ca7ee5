package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// ErrDisabled is returned by Deliverer.Run when the subscription is, or
// has just been, disabled: its endpoint answered 410 Gone.
var ErrDisabled = errors.New("webhook: subscription disabled")

// Deliverer sends subscriptions' events to their endpoints, each
// subscription through its own relay (package relay): at least once, one
// at a time in stream order, so that a slow or dead endpoint delays only
// its own subscription. An event its endpoint does not take within the
// retry budget becomes a dead letter, and delivery goes on with the next.
type Deliverer struct {
	Registry *Registry
	Stream   jetstream.Stream
	Client   *http.Client
	Dead     *relay.DeadLetters
	// Lookup finds the kudos a reaction or retraction is about, for the
	// visibility rules (visibility.Allows); a subscription sees what its
	// tenant's integration role may.
	// ok is false when there is no such kudos; an error (the store did
	// not answer) is retried, never taken for "not visible".
	Lookup func(ctx context.Context, tenant, kudosID string) (k visibility.Kudos, ok bool, err error)
	// Retries makes the schedule of one event's retries (relay.Retries).
	Retries func() backoff.BackOff
	Log     *slog.Logger
	// TracerProvider traces deliveries of events that carry a trace
	// (relay.Relay.TracerProvider); a traced delivery's POST carries its
	// span as a W3C traceparent header. nil traces nothing.
	TracerProvider trace.TracerProvider
}

// RelayName is the name of a subscription's relay: its durable consumer
// and where its dead letters are kept.
func RelayName(id string) string { return "webhook_" + id }

// Run delivers the subscription's events, from those appended after it
// was created, until ctx ends (nil) or the subscription is disabled
// (ErrDisabled). It signs with the secrets sub holds.
func (d *Deliverer) Run(ctx context.Context, sub Subscription) error {
	signing, err := d.signing(sub)
	if err != nil {
		return err
	}
	return d.run(ctx, sub, signing)
}

// signing holds the secrets a running subscription signs with, replaced
// when they rotate without stopping its deliveries.
type signing struct{ secrets atomic.Pointer[[]Secret] }

// signing opens sub's secrets that sign now.
func (d *Deliverer) signing(sub Subscription) (*signing, error) {
	secrets, err := d.Registry.Secrets(sub)
	if err != nil {
		return nil, err
	}
	s := &signing{}
	s.secrets.Store(&secrets)
	return s, nil
}

func (d *Deliverer) run(ctx context.Context, sub Subscription, sign *signing) error {
	if sub.DisabledAt != nil {
		return ErrDisabled
	}
	r := relay.Relay{
		Stream: d.Stream, Name: RelayName(sub.ID), Tenant: sub.Tenant, Start: sub.CreatedAt,
		Description: "webhook deliveries of " + sub.Tenant + " to subscription " + sub.ID,
		Retries:     d.Retries, Dead: d.Dead, Log: d.Log.With("component", "webhook", "subscription", sub.ID),
		TracerProvider: d.TracerProvider,
		Send: func(ctx context.Context, env event.Envelope, raw []byte) error {
			if !sub.Wants(env.Type) {
				return nil
			}
			if visible, err := d.visible(ctx, env); err != nil || !visible {
				return err
			}
			return d.send(ctx, sub.URL, *sign.secrets.Load(), env.ID, raw)
		},
	}
	err := r.Run(ctx)
	if !errors.Is(err, errGone) {
		return err
	}
	if err := d.Registry.Disable(context.WithoutCancel(ctx), sub.Tenant, sub.ID, "the endpoint answered 410 Gone"); err != nil {
		return err
	}
	d.Log.Warn("webhook subscription disabled: the endpoint answered 410 Gone", "subscription", sub.ID, "tenant", sub.Tenant)
	return ErrDisabled
}

// Redeliver sends a dead letter's event again, at once and once; when the
// endpoint takes it the dead letter is removed.
func (d *Deliverer) Redeliver(ctx context.Context, sub Subscription, seq uint64) error {
	dead, err := d.Dead.Get(ctx, sub.Tenant, RelayName(sub.ID), seq)
	if err != nil {
		return err
	}
	msg, err := d.Stream.GetMsg(ctx, dead.Seq)
	if err != nil {
		return fmt.Errorf("webhook: event %d: %w", dead.Seq, err)
	}
	secrets, err := d.Registry.Secrets(sub)
	if err != nil {
		return err
	}
	if err := d.send(ctx, sub.URL, secrets, dead.EventID, msg.Data); err != nil {
		return err
	}
	return d.Dead.Remove(ctx, sub.Tenant, RelayName(sub.ID), seq)
}

// visible reports whether the tenant's integration role may see env.
func (d *Deliverer) visible(ctx context.Context, env event.Envelope) (bool, error) {
	data, err := env.Decode()
	if err != nil {
		return false, nil // stored, so valid: not a type this engine knows
	}
	var failed error
	var lookup visibility.KudosLookup
	if d.Lookup != nil {
		lookup = func(id string) (visibility.Kudos, bool) {
			k, ok, err := d.Lookup(ctx, env.Tenant, id)
			if err != nil {
				failed = err
			}
			return k, ok
		}
	}
	allowed := visibility.Allows(visibility.Viewer{Role: auth.Integration}, data, lookup)
	return allowed && failed == nil, failed
}

// errGone ends a subscription's deliveries: its endpoint answered 410 Gone.
var errGone = errors.New("webhook: the endpoint answered 410 Gone")

// send posts one delivery signed with secrets, and says whether the
// endpoint took it (a 2xx). A 429 or 503 with Retry-After is retried no
// sooner than it asks.
func (d *Deliverer) send(ctx context.Context, target string, secrets []Secret, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(scrub(err, target))
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("User-Agent", "Plaudit-Webhooks/1")
	// A traced delivery's span, for a receiver that traces.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	SetHeaders(req.Header, id, time.Now(), body, secrets...)
	resp, err := d.Client.Do(req)
	if err != nil {
		err = scrub(err, target)
		if errors.Is(err, ErrDestination) {
			return backoff.Permanent(err)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusGone:
		return relay.Halt(errGone)
	}
	err = fmt.Errorf("webhook: %s answered %d", endpoint(target), resp.StatusCode)
	if after, ok := RetryAfter(resp.Header); ok && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		return &relay.RetryAfterError{After: after, Err: err}
	}
	return err
}

// maxRetryAfter bounds how long a destination may ask to be left alone.
const maxRetryAfter = 10 * time.Minute

// RetryAfter reads a Retry-After header: seconds, or an HTTP date.
func RetryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// scrub is err of a request to target naming its host only: a *url.Error
// names the whole URL, which may carry a token, and what is kept of an
// error (dead letters, logs, answers) must not.
func scrub(err error, target string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("webhook: POST to %s: %w", endpoint(target), err)
}
