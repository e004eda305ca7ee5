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
// channel cost a catch-up a tenth of its rate.
//
// A durable consumer's messages carry consecutive delivery sequences. A gap
// means the client dropped messages (its pending limits were exceeded) or
// lost them with a connection: the intake hands on nothing after it and ends
// with errLost, so that the runner binds the consumer again after the
// store's last sequence instead of acknowledging past events it never saw.
type intake struct {
	max  int
	wait time.Duration
	gaps bool // check delivery sequences (not for ordered consumers, which restart theirs)

	out chan inBatch

	mu      sync.Mutex
	room    *sync.Cond // signalled when a batch is taken
	cur     inBatch
	nextDel uint64 // the delivery sequence expected next; 0: any
	err     error  // why the intake ended; set once

	started chan struct{} // a batch has its first message
	ready   chan struct{} // the batch is full, or nothing more is pending
	done    chan struct{} // closed when err is set
}

// inBatch is a batch as it arrives: its messages and the last of them,
// which acknowledges it.
type inBatch struct {
	raws []raw
	last jetstream.Msg
}

// errLost: a gap in the delivery sequence (see intake).
var errLost = errors.New("projector: messages lost between the server and the runner")

func newIntake(max int, wait time.Duration, gaps bool) *intake {
	in := &intake{
		max: max, wait: wait, gaps: gaps,
		out:     make(chan inBatch),
		started: make(chan struct{}, 1),
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	in.room = sync.NewCond(&in.mu)
	return in
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
		if in.nextDel != 0 && md.Sequence.Consumer != in.nextDel {
			in.fail(fmt.Errorf("%w: delivery %d after %d", errLost, md.Sequence.Consumer, in.nextDel-1))
			return
		}
		in.nextDel = md.Sequence.Consumer + 1
	}
	in.cur.raws = append(in.cur.raws, raw{seq: md.Sequence.Stream, pending: md.NumPending, subject: m.Subject(), data: m.Data(), stored: md.Timestamp})
	in.cur.last = m
	if len(in.cur.raws) == 1 {
		signal(in.started)
	}
	if len(in.cur.raws) >= in.max || md.NumPending == 0 {
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
