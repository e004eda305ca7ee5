package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// ErrDisabled is returned by Deliverer.Run when the subscription is, or
// has just been, disabled: its endpoint answered 410 Gone.
var ErrDisabled = errors.New("webhook: subscription disabled")

// Deliverer sends a subscription's events to its endpoint: at least once,
// one at a time in stream order, through its own durable consumer, so
// that a slow or dead endpoint delays only its own subscription. An event
// its endpoint does not take within the retry budget goes to the dead
// letters (DeadLetters), and delivery goes on with the next.
type Deliverer struct {
	Registry *Registry
	Stream   jetstream.Stream
	Client   *http.Client
	Dead     *DeadLetters
	// Lookup finds the kudos a reaction or retraction is about, for the
	// visibility rules (visibility.Allows); a subscription sees what its
	// tenant's integration role may.
	Lookup func(tenant, kudosID string) (visibility.Kudos, bool)
	// Retries makes the schedule of one event's retries: exponential,
	// jittered, its MaxElapsedTime the retry budget.
	Retries func() backoff.BackOff
	Log     *slog.Logger
}

// DefaultRetries retries from one second, doubling with jitter up to five
// minutes apart, for at most an hour.
func DefaultRetries() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = time.Second, 5*time.Minute, time.Hour
	return b
}

// ackWait is how long the server waits for a delivery's outcome before it
// offers the event again; while retrying, the Deliverer says it is still
// working well within it.
const ackWait = time.Minute

// ConsumerName is the durable consumer of a subscription's deliveries.
func ConsumerName(id string) string { return "webhook_" + id }

// Run delivers the subscription's events, from those appended after it
// was created, until ctx ends (nil) or the subscription is disabled
// (ErrDisabled).
func (d *Deliverer) Run(ctx context.Context, sub Subscription) error {
	if sub.DisabledAt != nil {
		return ErrDisabled
	}
	start := sub.CreatedAt
	cons, err := d.Stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerName(sub.ID),
		Description:   "webhook deliveries of " + sub.Tenant + " to subscription " + sub.ID,
		FilterSubject: event.Prefix + "." + sub.Tenant + ".>",
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &start,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxAckPending: 1,
	})
	if err != nil {
		return fmt.Errorf("webhook: consumer of %s: %w", sub.ID, err)
	}
	log := d.Log.With("component", "webhook", "subscription", sub.ID, "tenant", sub.Tenant)
	it, err := cons.Messages(jetstream.PullMaxMessages(1))
	if err != nil {
		return fmt.Errorf("webhook: consume %s: %w", sub.ID, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			log.Warn("fetch failed", "err", err)
			continue
		}
		if err := d.handle(ctx, sub, msg, log); err != nil {
			if ctx.Err() != nil {
				return nil // stopping: what was not acknowledged comes again
			}
			return err
		}
	}
}

// handle delivers one stored event, or passes over one the subscription
// does not receive, and acknowledges it once it is done with.
func (d *Deliverer) handle(ctx context.Context, sub Subscription, msg jetstream.Msg, log *slog.Logger) error {
	meta, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("webhook: message metadata: %w", err)
	}
	env, err := event.Parse(msg.Data())
	if err != nil {
		log.Error("a stored event does not parse; passed over", "stream_seq", meta.Sequence.Stream, "err", err)
		return msg.DoubleAck(ctx)
	}
	if !sub.Wants(env.Type) || !d.visible(env) {
		return msg.DoubleAck(ctx)
	}
	// The retries may outlast the consumer's AckWait: the message is kept
	// in progress until they end, or the server would deliver it again.
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(ackWait / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = msg.InProgress()
			}
		}
	}()
	attempts, last := 0, ""
	send := func() error {
		attempts++
		err := d.send(ctx, sub, env.ID, msg.Data())
		if err != nil {
			last = err.Error()
		}
		return err
	}
	err = backoff.Retry(send, backoff.WithContext(d.Retries(), ctx))
	switch {
	case err == nil:
		return msg.DoubleAck(ctx)
	case errors.Is(err, errGone):
		if err := d.Registry.Disable(context.WithoutCancel(ctx), sub.Tenant, sub.ID, "the endpoint answered 410 Gone"); err != nil {
			return err
		}
		log.Warn("subscription disabled: the endpoint answered 410 Gone")
		return ErrDisabled
	case ctx.Err() != nil:
		return nil // not acknowledged: delivered again after a restart
	}
	log.Warn("event dead-lettered: the endpoint did not take it", "event_id", env.ID, "stream_seq", meta.Sequence.Stream, "attempts", attempts)
	if err := d.Dead.Add(ctx, DeadLetter{
		Tenant: sub.Tenant, Subscription: sub.ID, EventID: env.ID, Type: env.Type, Seq: meta.Sequence.Stream,
		Attempts: attempts, LastError: last, At: time.Now().UTC(),
	}); err != nil {
		return err
	}
	return msg.DoubleAck(ctx)
}

// visible reports whether the tenant's integration role may see env.
func (d *Deliverer) visible(env event.Envelope) bool {
	data, err := env.Decode()
	if err != nil {
		return false
	}
	var lookup visibility.KudosLookup
	if d.Lookup != nil {
		lookup = func(id string) (visibility.Kudos, bool) { return d.Lookup(env.Tenant, id) }
	}
	return visibility.Allows(visibility.Viewer{Role: auth.Integration}, data, lookup)
}

// errGone ends the retries: the endpoint answered 410 Gone.
var errGone = errors.New("webhook: 410 Gone")

// send posts one delivery, signed with the subscription's secrets as they
// are now, and says whether the endpoint took it (a 2xx).
func (d *Deliverer) send(ctx context.Context, sub Subscription, id string, body []byte) error {
	current, err := d.Registry.Get(ctx, sub.Tenant, sub.ID)
	if err != nil {
		return backoff.Permanent(err)
	}
	secrets, err := d.Registry.Secrets(current)
	if err != nil {
		return backoff.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, current.URL, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("User-Agent", "Plaudit-Webhooks/1")
	SetHeaders(req.Header, id, time.Now(), body, secrets...)
	resp, err := d.Client.Do(req)
	if err != nil {
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
		return backoff.Permanent(errGone)
	}
	return fmt.Errorf("webhook: the endpoint answered %d", resp.StatusCode)
}
