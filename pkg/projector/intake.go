package projector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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
	err     error  // why the intake ended; set once

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
// consumer, as bound: the first message must be the delivery after the
// last one the consumer had made. Deliveries made after that to a pull
// request of an earlier binding, which nobody reads any more, are a gap
// like any other. (Not for ordered consumers: they restart their
// sequences, and recover from gaps themselves.)
func (in *intake) checkFrom(cons jetstream.Consumer) {
	in.gaps, in.nextDel = true, cons.CachedInfo().Delivered.Consumer+1
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

// Err is why the intake ended, nil while it runs.
func (in *intake) Err() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
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

// consumeError is Consume's error handler: a consumer that is gone ends the
// intake (the runner binds it again); the rest (missed heartbeats,
// reconnections) Consume recovers from.
func (in *intake) consumeError(_ jetstream.ConsumeContext, err error) {
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		in.mu.Lock()
		in.fail(err)
		in.mu.Unlock()
	}
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
		in.mu.Lock()
		in.fail(errStopped)
		in.mu.Unlock()
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
		// Messages that arrived meanwhile form the next batch.
		in.mu.Lock()
		if len(in.cur.raws) > 0 {
			signal(in.started)
		}
		in.mu.Unlock()
	}
}

// ConsumeBatches consumes cons as the runner does (see intake), for a
// projector of its own kind that writes in large batches: batches of up to
// max messages, in order, each as soon as it is full or wait after its
// first message. The channel closes when ctx ends or the consumption fails; the
// function returned then tells why: nil when ctx ended, an error wrapping
// ErrLost after a gap in the delivery sequence, or the consumer's error
// when it is gone. After an error, bind the consumer again after the last
// event applied and acknowledge nothing of it before.
func ConsumeBatches(ctx context.Context, cons jetstream.Consumer, max int, wait time.Duration) (<-chan []jetstream.Msg, func() error, error) {
	in := newIntake(max, wait)
	in.checkFrom(cons)
	in.msgs, in.eager = true, false
	cc, err := cons.Consume(in.handle, jetstream.PullMaxMessages(2*max), jetstream.ConsumeErrHandler(in.consumeError))
	if err != nil {
		return nil, nil, err
	}
	out := make(chan []jetstream.Msg)
	go in.run(ctx)
	go func() {
		defer close(out)
		defer cc.Stop()
		for b := range in.out {
			select {
			case out <- b.msgs:
			case <-ctx.Done():
				return
			}
		}
	}()
	why := func() error {
		if err := in.Err(); err != nil && !errors.Is(err, errStopped) {
			return err
		}
		return nil
	}
	return out, why, nil
}

// Rebind reports whether err, from a consumption, calls for binding the
// consumer again: deliveries were lost, or the consumer is gone.
func Rebind(err error) bool {
	return errors.Is(err, ErrLost) || errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound)
}
