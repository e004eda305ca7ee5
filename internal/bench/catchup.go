package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Target is what catching up with a stream means for one projection.
type Target struct {
	// Stream is the number of events in the stream: what a catch-up reads,
	// the projection's or not.
	Stream uint64
	// Matching is the number of events on the projection's filter
	// subjects: what it applies.
	Matching uint64
	// Last is the sequence of the last of those: the projection has caught
	// up once it has applied it.
	Last uint64
}

// TargetOf counts the events of the stream and those filters select, and
// finds the last of these, with two short-lived consumers.
func TargetOf(ctx context.Context, stream jetstream.Stream, filters []string) (Target, error) {
	info, err := stream.Info(ctx)
	if err != nil {
		return Target{}, fmt.Errorf("bench: stream: %w", err)
	}
	t := Target{Stream: info.State.Msgs}
	all, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubjects: filters, AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute,
	})
	if err != nil {
		return Target{}, fmt.Errorf("bench: count %v: %w", filters, err)
	}
	ci := all.CachedInfo()
	_ = stream.DeleteConsumer(ctx, ci.Name)
	if t.Matching = ci.NumPending; t.Matching == 0 {
		return t, nil
	}
	// With several filters, DeliverLast starts at the latest of their last
	// events.
	last, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubjects: filters, AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute,
		DeliverPolicy: jetstream.DeliverLastPolicy,
	})
	if err != nil {
		return Target{}, fmt.Errorf("bench: last of %v: %w", filters, err)
	}
	defer func() { _ = stream.DeleteConsumer(ctx, last.CachedInfo().Name) }()
	batch, err := last.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		return Target{}, fmt.Errorf("bench: last of %v: %w", filters, err)
	}
	for m := range batch.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return Target{}, err
		}
		t.Last = md.Sequence.Stream
	}
	if t.Last == 0 {
		return Target{}, fmt.Errorf("bench: last of %v: none delivered: %v", filters, batch.Error())
	}
	return t, nil
}

// RawBatch and the consumer settings of RawCatchUp are the projector
// runtime's (pkg/projector: batches of 4,000, MaxAckPending of four
// batches, two batches pulled ahead), so that the raw figure differs from a
// projector's only by the work the projector does.
const RawBatch = 4000

// RawCatchUp reads the whole stream, from the first event, with a new
// durable pull consumer named name and no filter subjects, as the projector
// runtime reads it: through Consume's callback (server-side filters over
// many distinct subjects are slow: pkg/projector/filter.go). It
// acknowledges every RawBatch-th message (AckAll) and does nothing else.
// It returns the number of events read once it has read t.Stream of them,
// and deletes the consumer before returning. caughtUp, when not nil, is
// called as soon as the last event is in (to stop a benchmark's clock
// before the clean-up).
func RawCatchUp(ctx context.Context, stream jetstream.Stream, name string, t Target, caughtUp func()) (int, error) {
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       name,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       2 * time.Minute,
		MaxDeliver:    -1,
		MaxAckPending: 4 * RawBatch,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, fmt.Errorf("bench: raw consumer: %w", err)
	}
	defer func() { _ = stream.DeleteConsumer(context.WithoutCancel(ctx), name) }()
	n := 0 // the callbacks run one at a time, on one goroutine
	var ackErr error
	done := make(chan struct{})
	failed := make(chan error, 1)
	fail := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if uint64(n) >= t.Stream {
			return
		}
		n++
		if n%RawBatch == 0 || uint64(n) == t.Stream {
			if err := m.Ack(); err != nil && ackErr == nil {
				ackErr = err
			}
		}
		if uint64(n) == t.Stream {
			close(done)
		}
	}, jetstream.PullMaxMessages(2*RawBatch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// What the projector runtime would bind its consumer again for
		// ends a raw catch-up.
		if projector.Rebind(err) || errors.Is(err, nats.ErrSlowConsumer) {
			fail(err)
		}
	}))
	if err != nil {
		return 0, fmt.Errorf("bench: raw consumer: %w", err)
	}
	defer cc.Stop()
	select {
	case <-done:
	case err := <-failed:
		return 0, fmt.Errorf("bench: raw consumer: %w", err)
	case <-cc.Closed():
		return 0, errors.New("bench: raw consumer: consuming ended")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if caughtUp != nil {
		caughtUp()
	}
	if ackErr != nil {
		return n, fmt.Errorf("bench: raw ack: %w", ackErr)
	}
	return n, nil
}

// CatchUp runs a projector for p with a fresh store in dir, as replica
// (its own durable consumer), until it has applied the stream up to t.Last,
// then stops it and returns its status. The runner is set up as the engine
// sets it up, metrics included. The store file stays in dir (StoreFile);
// the consumer is deleted. caughtUp, when not nil, is called as soon as the
// projector has applied t.Last, before it is stopped.
func CatchUp(ctx context.Context, st *eventstore.Store, p projector.Projection, dir, replica string, t Target, caughtUp func()) (projector.Status, error) {
	r, err := projector.New(p, projector.Config{
		Stream: st, Dir: dir, Replica: replica,
		Logger:  slog.New(slog.DiscardHandler),
		Metrics: projector.NewMetrics(prometheus.NewRegistry()),
	})
	if err != nil {
		return projector.Status{}, err
	}
	defer r.Close()
	defer func() { _ = st.Stream().DeleteConsumer(context.WithoutCancel(ctx), r.ConsumerName()) }()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	// Polling the applied sequence costs the runner nothing; WaitFor
	// would ask the server for the stream's and the consumer's state after
	// every batch.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var runErr error
	for r.LastSeq() < t.Last && runErr == nil {
		select {
		case <-tick.C:
		case runErr = <-done:
			if runErr == nil {
				runErr = errors.New("projector stopped before catching up")
			}
		case <-ctx.Done():
			runErr = ctx.Err()
		}
	}
	if runErr == nil && caughtUp != nil {
		caughtUp()
	}
	cancel()
	if runErr != nil {
		return projector.Status{}, fmt.Errorf("bench: %s at %d of %d: %w", p.Name(), r.LastSeq(), t.Last, runErr)
	}
	if err := <-done; err != nil {
		return projector.Status{}, err
	}
	s, err := r.Status(context.WithoutCancel(ctx))
	if err != nil {
		return s, err
	}
	if s.DeadLettered > 0 {
		return s, fmt.Errorf("bench: %s dead-lettered %d events of the workload", p.Name(), s.DeadLettered)
	}
	return s, nil
}

// StoreFile is where a projection's store lives in dir, as the runtime
// names it (projector.Config.Dir).
func StoreFile(dir string, p projector.Projection) string {
	return projector.StorePath(dir, p.Name())
}
