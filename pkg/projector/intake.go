package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// intake takes a consumer's messages from Consume's callback and hands them
// on in batches, in order, on one goroutine of its own. A batch goes on as
// soon as it is full or the server has nothing more pending for the
// consumer, otherwise wait after its first message; while the next stage is
// busy, messages gather into the next batch. Per message this costs a lock
// and an append: Messages with a goroutine moving each message on to a
// channel cost a catch-up about a twentieth of its rate.
//
// A durable consumer's messages carry consecutive delivery sequences. A gap
// means the client dropped messages (its pending limits were exceeded) or
// lost them with a connection: the intake hands on nothing after it and ends
// with ErrLost, so that the runner binds the consumer again after the
// store's last sequence instead of acknowledging past events it never saw.
type intake struct {
	max  int
	wait time.Duration
	gaps bool // check delivery sequences (checkFrom)
	msgs bool // keep the messages themselves too (ConsumeBatches)
	// eager hands a batch on as soon as nothing more is pending rather
	// than after wait.
	eager bool

	out chan inBatch

	mu      sync.Mutex
	room    *sync.Cond // signalled when a batch is taken
	cur     inBatch
	nextDel uint64 // the delivery sequence expected next
	// lastSeq is the stream sequence of the last message taken: without
	// delivery sequences to check (an ordered consumer), stream sequences
	// must still rise.
	lastSeq uint64
	err     error // why the intake ended; set once

	started chan struct{} // a batch has its first message
	ready   chan struct{} // the batch is full, or nothing more is pending
	done    chan struct{} // closed when err is set
}

// inBatch is a batch as it arrives: its messages and the last of them,
// which acknowledges it.
type inBatch struct {
	raws []raw
	msgs []jetstream.Msg // when the intake keeps them
	last jetstream.Msg
}

// ErrLost is a gap in a durable consumer's delivery sequence: messages
// the server delivered never reached the projector (see intake).
var ErrLost = errors.New("projector: messages lost between the server and the projector")

func newIntake(max int, wait time.Duration) *intake {
	in := &intake{
		max: max, wait: wait, eager: true,
		out:     make(chan inBatch),
		started: make(chan struct{}, 1),
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	in.room = sync.NewCond(&in.mu)
	return in
}

// checkFrom has the intake check the delivery sequences of a durable
// consumer: the first message must be delivery next (the one after the last
// delivery of the consumer the binding decided on), then one after the
// other. Deliveries made after that decision to a pull request of an
// earlier binding, which nobody reads any more, are a gap like any other.
// (Not for ordered consumers: they restart their sequences, and recover
// from gaps themselves.)
func (in *intake) checkFrom(next uint64) {
	in.gaps, in.nextDel = true, next
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// fail ends the intake with err, the first reason only. Call with mu held.
func (in *intake) fail(err error) {
	if in.err == nil {
		in.err = err
		close(in.done)
		in.room.Broadcast()
	}
}

// end ends the intake with err, unless it has ended already.
func (in *intake) end(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fail(err)
}

// Err is why the intake ended, nil while it runs.
func (in *intake) Err() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

// cause is why the intake ended, nil when its context did.
func (in *intake) cause() error {
	if err := in.Err(); !errors.Is(err, errStopped) {
		return err
	}
	return nil
}

// handle is Consume's callback.
func (in *intake) handle(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		return // not a stream message: nothing to apply or acknowledge
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.err == nil && len(in.cur.raws) >= in.max {
		in.room.Wait()
	}
	if in.err != nil {
		return
	}
	if in.gaps {
		if md.Sequence.Consumer != in.nextDel {
			in.fail(fmt.Errorf("%w: delivery %d, expected %d", ErrLost, md.Sequence.Consumer, in.nextDel))
			return
		}
		in.nextDel = md.Sequence.Consumer + 1
	} else {
		if md.Sequence.Stream <= in.lastSeq {
			in.fail(fmt.Errorf("%w: stream sequence %d after %d", ErrLost, md.Sequence.Stream, in.lastSeq))
			return
		}
		in.lastSeq = md.Sequence.Stream
	}
	in.cur.raws = append(in.cur.raws, raw{seq: md.Sequence.Stream, pending: md.NumPending, subject: m.Subject(), data: m.Data(), stored: md.Timestamp})
	if in.msgs {
		in.cur.msgs = append(in.cur.msgs, m)
	}
	in.cur.last = m
	if len(in.cur.raws) == 1 {
		signal(in.started)
	}
	if len(in.cur.raws) >= in.max || in.eager && md.NumPending == 0 {
		signal(in.ready)
	}
}

// consumeError is Consume's error handler. A consumer that is gone ends
// the intake, and so does a pull that nobody answered or heartbeats that
// stopped: Consume hears of a deleted consumer only on a pull waiting on
// the server, and while the runner holds back (a long batch) none is, so
// the next pull just goes unanswered. The runner then binds the consumer
// again, which finds out what happened. Reconnections Consume recovers
// from itself.
func (in *intake) consumeError(_ jetstream.ConsumeContext, err error) {
	if in.gaps && Rebind(err) { // an ordered consumer recovers by itself
		in.end(err)
	}
}

// pullExpiry is how long a pull waits on the server (nats.go's default is
// 30 s). An idle projector pulls again this often.
const pullExpiry = 5 * time.Second

// errConsumeEnded: Consume stopped by itself (its connection closed).
var errConsumeEnded = errors.New("projector: consuming ended")

// start consumes cons into the intake until ctx ends, pulling up to pull
// messages ahead: Consume with the intake's callback, the intake's own
// goroutine, and a watch that ends the intake when Consume ends by itself.
// stop stops consuming.
func (in *intake) start(ctx context.Context, cons jetstream.Consumer, pull int) (stop func(), err error) {
	// Pulls expire after pullExpiry, with heartbeats at half that: a
	// consumer deleted while a pull waited on the server (which may end
	// the pull unanswered) is noticed by missed heartbeats within pullExpiry.
	cc, err := cons.Consume(in.handle, jetstream.PullMaxMessages(pull), jetstream.PullExpiry(pullExpiry),
		jetstream.ConsumeErrHandler(in.consumeError))
	if err != nil {
		return nil, BindError(err)
	}
	go in.run(ctx)
	go func() {
		select {
		case <-cc.Closed():
			in.end(errConsumeEnded)
		case <-ctx.Done():
		}
	}()
	return cc.Stop, nil
}

// take removes the current batch.
func (in *intake) take() inBatch {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.cur
	in.cur = inBatch{raws: make([]raw, 0, min(max(len(b.raws), 64), in.max))}
	if in.msgs {
		in.cur.msgs = make([]jetstream.Msg, 0, cap(in.cur.raws))
	}
	select { // what ready said is about b
	case <-in.ready:
	default:
	}
	in.room.Broadcast()
	return b
}

// errStopped ends an intake whose context ended.
var errStopped = errors.New("projector: intake stopped")

// run hands batches on until ctx ends or the intake fails, then closes out.
// A callback waiting for room is released.
func (in *intake) run(ctx context.Context) {
	defer func() {
		in.end(errStopped)
		close(in.out)
	}()
	timer := time.NewTimer(in.wait)
	timer.Stop()
	for {
		select {
		case <-in.started:
		case <-in.done:
			return
		case <-ctx.Done():
			return
		}
		timer.Reset(in.wait)
		select {
		case <-in.ready:
		case <-timer.C:
		case <-in.done:
			return
		case <-ctx.Done():
			return
		}
		timer.Stop()
		b := in.take()
		if len(b.raws) == 0 {
			continue
		}
		select {
		case in.out <- b:
		case <-in.done: // what came before the failure is still good, but
			// the runner is about to bind the consumer again
			return
		case <-ctx.Done():
			return
		}
		// Messages that arrived meanwhile form the next batch: the first
		// of them signalled started.
	}
}

// feed hands the messages of an ordered consumer's iterator to the intake
// one at a time, on one goroutine, until ctx ends or the iterator stops.
// An ordered consumer is read through its iterator rather than Consume:
// after a reset, Consume's new subscription may call back before the old
// one's callback, blocked on a full batch, has returned, and a message
// would land after later ones. Next recovers from resets one at a time.
func (in *intake) feed(ctx context.Context, msgs jetstream.MessagesContext) {
	go in.run(ctx)
	go func() {
		stop := context.AfterFunc(ctx, msgs.Stop)
		defer stop()
		for {
			m, err := msgs.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
					in.end(fmt.Errorf("%w: %w", errConsumeEnded, err))
					return
				}
				continue // missed heartbeats, a reset: the iterator recovers
			}
			in.handle(m)
		}
	}()
}

// ConsumeBatches consumes cons as the runner does (see intake), for a
// projector of its own kind that writes in large batches: batches of up to
// max messages, in order, each as soon as it is full or wait after its
// first message. next is the delivery expected first (BindNext). The
// channel closes when ctx ends or the consumption fails; the function
// returned then tells why: nil when ctx ended, else an error for which
// Rebind holds (Supervise runs it again).
func ConsumeBatches(ctx context.Context, cons jetstream.Consumer, next uint64, max int, wait time.Duration) (<-chan []jetstream.Msg, func() error, error) {
	in := newIntake(max, wait)
	in.checkFrom(next)
	in.msgs, in.eager = true, false
	ctx, cancel := context.WithCancel(ctx)
	stop, err := in.start(ctx, cons, 2*max)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	out := make(chan []jetstream.Msg)
	go func() {
		defer close(out)
		defer cancel()
		defer stop()
		for b := range in.out {
			select {
			case out <- b.msgs:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, in.cause, nil
}

// BindNext is the delivery a durable consumer makes next, from info read
// when deciding to bind it as it is (1 for a consumer just created).
func BindNext(info *jetstream.ConsumerInfo) uint64 { return info.Delivered.Consumer + 1 }

// errBind marks a failure to bind a consumer or to start consuming it: the
// server may be restarting, so Supervise tries again.
var errBind = errors.New("projector: binding the consumer")

// BindError marks err as a failure to bind a consumer (Rebind holds).
func BindError(err error) error { return mark(errBind, "projector: binding the consumer: ", err) }

// Rebind reports whether err, from a consumption, calls for binding the
// consumer again: deliveries were lost, the consumer is gone or silent,
// consuming ended by itself, or binding failed other than by a refusal of
// the JetStream API (a 4xx other than not found or timed out), which
// trying again will not change.
func Rebind(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) && api.Code >= 400 && api.Code < 500 && api.Code != 404 && api.Code != 408 {
		return false // refused for good: a bad configuration, a permission
	}
	return errors.Is(err, errBind) || errors.Is(err, ErrLost) || errors.Is(err, errConsumeEnded) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat)
}

// Supervise runs run until ctx ends (it returns nil then) or run fails
// with an error Rebind does not hold (it returns that error). After an
// error it holds, it runs run again, first waiting: from 100 ms, doubling
// up to 10 s while run makes no progress (applied reports the last event
// applied), so that a consumer two processes fight over, or a server that
// is away, is not asked again and again.
func Supervise(ctx context.Context, log *slog.Logger, applied func() uint64, run func(context.Context) error, rebound func()) error {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(100*time.Millisecond),
		backoff.WithMaxInterval(10*time.Second),
		backoff.WithMaxElapsedTime(0),
	)
	for {
		before := applied()
		err := run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if !Rebind(err) {
			return err
		}
		if applied() != before {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		log.Warn("binding the consumer again after the last event applied", "err", err, "applied", applied(), "retry_in", wait)
		if rebound != nil {
			rebound()
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
}
