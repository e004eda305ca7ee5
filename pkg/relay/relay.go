// Package relay is the runtime of Plaudit's integrations (DESIGN
// decision 12): a relay carries a tenant's events from the stream to a
// destination outside Plaudit (a webhook endpoint, a chat channel, a
// workflow) through its own durable consumer, one event at a time in
// stream order, at least once, retrying with backoff, and setting aside
// what its destination never takes as a dead letter.
//
// The durable consumer is the relay's checkpoint: an event is
// acknowledged only once it was delivered, passed over or dead-lettered,
// so a crash delivers again what was in flight, and nothing else.
//
// Each attempt at sending an event that carries a trace is a span in that
// trace (trace.go).
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// Relay is one destination's consumer of the stream.
type Relay struct {
	Stream jetstream.Stream
	// Name is the durable consumer's, unique per destination; dead
	// letters are kept under it. It starts with the name of the
	// integration the relay belongs to and "_" ("webhook_<id>",
	// "slack_<tenant>_posts"): metrics count relays by it (Owner).
	Name        string
	Description string
	Tenant      string
	// Filter is the subject filter, the tenant's every event when empty.
	Filter string
	// Start: the relay delivers the events appended from then on; zero:
	// every event.
	Start time.Time
	// Send delivers one event: nil once the destination took it, or when
	// the relay passes over it. Other errors are retried on the Retries
	// schedule; an error marked backoff.Permanent ends the retries at
	// once, and one marked Halt stops the relay.
	Send func(ctx context.Context, env event.Envelope, raw []byte) error
	// Retries makes the schedule of one event's retries: exponential,
	// jittered, its MaxElapsedTime the retry budget. DefaultRetries when
	// nil.
	Retries func() backoff.BackOff
	Dead    *DeadLetters
	Log     *slog.Logger
	// TracerProvider traces each attempt at sending an event that carries
	// a trace, as a child of the event's append (trace.go); nil traces
	// nothing.
	TracerProvider trace.TracerProvider
}

// Owner is the integration a relay of name belongs to: what comes before
// the first "_" (Relay.Name).
func Owner(name string) string {
	owner, _, _ := strings.Cut(name, "_")
	return owner
}

// DefaultRetries retries from one second, doubling with jitter up to five
// minutes apart, for at most an hour.
func DefaultRetries() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = time.Second, 5*time.Minute, time.Hour
	return b
}

// halted is an error that stops the relay.
type halted struct{ err error }

func (h halted) Error() string { return h.err.Error() }
func (h halted) Unwrap() error { return h.err }

// Halt marks err as one that stops the relay: Run returns it, and the
// event is not acknowledged (the destination is gone, say, and the relay
// is switched off).
func Halt(err error) error { return backoff.Permanent(halted{err}) }

// AckWait is how long the server waits for an event's outcome before it
// offers it again; while retrying, the relay says it is still working
// well within it.
const AckWait = 30 * time.Second

// pullExpiry is how long one pull request waits for an event.
const pullExpiry = 5 * time.Second

// AttemptTimeout bounds one attempt at sending an event; a stopping
// relay waits for the attempt in flight at most this long.
const AttemptTimeout = 15 * time.Second

// Run delivers until ctx ends (nil) or Send halts the relay (its error).
func (r *Relay) Run(ctx context.Context) error {
	filter := r.Filter
	if filter == "" {
		filter = event.Prefix + "." + r.Tenant + ".>"
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       r.Name,
		Description:   r.Description,
		FilterSubject: filter,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		MaxAckPending: 1,
	}
	if !r.Start.IsZero() {
		start := r.Start
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := r.Stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("relay %s: consumer: %w", r.Name, err)
	}
	log := r.Log.With("relay", r.Name, "tenant", r.Tenant)
	// Pull requests expire after a few seconds and are made again: a
	// request the server lost track of (under load, once in a few hundred
	// runs) held the next event up for the default 30 s.
	it, err := cons.Messages(jetstream.PullMaxMessages(1), jetstream.PullExpiry(pullExpiry))
	if err != nil {
		return fmt.Errorf("relay %s: consume: %w", r.Name, err)
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
		if err := r.handle(ctx, msg, log); err != nil {
			if ctx.Err() != nil {
				return nil // stopping: what was not acknowledged comes again
			}
			var h halted
			if errors.As(err, &h) {
				return h.err
			}
			// Not acknowledged (the server did not confirm in time, say):
			// the server offers the event again after AckWait, and with
			// one event in flight nothing overtakes it.
			log.Warn("event not acknowledged; it will come again", "err", err)
		}
	}
}

// handle delivers one stored event and acknowledges it once it is done
// with: delivered, passed over, or dead-lettered.
func (r *Relay) handle(ctx context.Context, msg jetstream.Msg, log *slog.Logger) error {
	meta, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("relay %s: message metadata: %w", r.Name, err)
	}
	env, err := event.Parse(msg.Data())
	if err != nil {
		log.Error("a stored event does not parse; passed over", "stream_seq", meta.Sequence.Stream, "err", err)
		return msg.DoubleAck(ctx)
	}
	// What is logged about the event names its trace.
	ectx := tracing.Continue(ctx, env)
	// An attempt and the waits between them may outlast AckWait: the
	// event is kept in progress until the retries end, or the server
	// would offer it again (to another engine sharing the consumer).
	progress := make(chan struct{})
	defer close(progress)
	go inProgress(msg, progress)
	attempts, last := 0, ""
	send := func() error {
		attempts++
		// An attempt runs to its end even when the relay is stopping: cut
		// off after the destination took the event, it would be sent
		// again.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AttemptTimeout)
		defer cancel()
		actx, span := r.traceSend(actx, env, meta.Sequence.Stream, attempts)
		err := r.Send(actx, env, msg.Data())
		tracing.End(span, err)
		if err != nil {
			last = err.Error()
		}
		return err
	}
	retries := DefaultRetries
	if r.Retries != nil {
		retries = r.Retries
	}
	err = retry(ctx, retries(), send)
	var h halted
	switch {
	case err == nil:
		// Acknowledged even when the relay is stopping: the destination
		// has it, and an event not acknowledged would be sent again.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return msg.DoubleAck(actx)
	case errors.As(err, &h):
		_ = msg.Nak() // offered again as soon as the relay runs again
		return h
	case ctx.Err() != nil:
		_ = msg.Nak()
		return nil // not acknowledged: delivered again after a restart
	}
	log.WarnContext(ectx, "event dead-lettered: the destination did not take it", "event_id", env.ID, "stream_seq", meta.Sequence.Stream, "attempts", attempts, "err", last)
	if err := r.Dead.Add(ctx, DeadLetter{
		Tenant: r.Tenant, Relay: r.Name, EventID: env.ID, Type: env.Type, Seq: meta.Sequence.Stream,
		Attempts: attempts, LastError: last, At: time.Now().UTC(),
	}); err != nil {
		return err
	}
	return msg.DoubleAck(ctx)
}

// RetryAfterError is a refusal that says when to try again, as a 429 or
// 503 with Retry-After does.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// retry runs op until it succeeds, fails permanently, or b says stop, and
// returns its last error. It waits as b says, or as long as a
// RetryAfterError asks when that is longer (backoff.Retry has no way to
// take a destination's word).
func retry(ctx context.Context, b backoff.BackOff, op func() error) error {
	b.Reset()
	for {
		err := op()
		if err == nil {
			return nil
		}
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			return perm.Err
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return err
		}
		var ra *RetryAfterError
		if errors.As(err, &ra) && ra.After > wait {
			wait = ra.After
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// inProgress tells the server every AckWait/3 that msg is still being
// worked on, until done closes.
func inProgress(msg jetstream.Msg, done <-chan struct{}) {
	tick := time.NewTicker(AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			_ = msg.InProgress()
		}
	}
}
