package projector_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// give appends n kudos from ana to each of to.
var give = projector.AppendKudos

// counts is the kudos a runner of projector.Tally counted per recipient.
var counts = projector.TallyCounts

// start runs a projector.Tally on st in dir until the returned function
// stops it and closes its store, or the test ends.
func start(t *testing.T, st *eventstore.Store, dir string) (*projector.Runner, func()) {
	t.Helper()
	return projector.StartRunner(t, projector.Tally{}, projector.TestConfig(st, dir, 0))
}

func waitSeq(t *testing.T, r *projector.Runner, st *eventstore.Store) {
	t.Helper()
	info, err := st.Stream().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, info.State.LastSeq); err != nil {
		t.Fatalf("wait for %d: %v (at %d)", info.State.LastSeq, err, r.LastSeq())
	}
}

func TestRunnerAppliesDeadLettersAndRebuilds(t *testing.T) {
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	ctx := context.Background()
	if _, err := projector.EnsureDeadLetterStream(ctx, st.JetStream(), 1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	give(t, st, 30, "bo", "cy")
	r, stop := start(t, st, dir)
	waitSeq(t, r, st)
	if got := counts(t, r); got["bo"] != 30 || got["cy"] != 30 {
		t.Fatalf("counts = %v, want bo 30 cy 30", got)
	}

	// A raw malformed message and an event breaking the projection's rule
	// go to the dead-letter subject; what follows is applied.
	if _, err := st.JetStream().Publish(ctx, event.KudosSubject("acme", "ana", "given"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	give(t, st, 1, "poison")
	give(t, st, 5, "bo")
	waitSeq(t, r, st)
	if got := counts(t, r); got["bo"] != 35 || got["cy"] != 30 {
		t.Fatalf("counts after poison = %v", got)
	}
	dlq, err := st.JetStream().Stream(ctx, projector.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	dinfo, _ := dlq.Info(ctx)
	if dinfo.State.Msgs != 2 {
		t.Fatalf("dead letters = %d, want 2", dinfo.State.Msgs)
	}
	first, err := dlq.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Header.Get(projector.HeaderReason) == "" || first.Header.Get(projector.HeaderStreamSeq) != "31" {
		t.Fatalf("dead letter headers = %v", first.Header)
	}
	status, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.DeadLettered != 2 || status.Applied != 35 || status.Lag != 0 {
		t.Fatalf("status = %+v", status)
	}

	// Rebuild while live: equal model, then keep consuming.
	live := counts(t, r)
	if err := r.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, r); fmt.Sprint(got) != fmt.Sprint(live) {
		t.Fatalf("rebuilt %v != live %v", got, live)
	}
	give(t, st, 2, "cy")
	waitSeq(t, r, st)
	if got := counts(t, r); got["cy"] != 32 {
		t.Fatalf("after rebuild counts = %v", got)
	}
	stop()

	// Restart on the same store: nothing is counted twice.
	give(t, st, 3, "bo")
	r2, stop2 := start(t, st, dir)
	defer stop2()
	waitSeq(t, r2, st)
	if got := counts(t, r2); got["bo"] != 38 || got["cy"] != 32 {
		t.Fatalf("after restart counts = %v", got)
	}
}

// TestRunnerStoreDeletedRecreatesConsumer: a store deleted under an
// existing durable consumer is rebuilt from the first event, not from the
// consumer's old position.
func TestRunnerStoreDeletedRecreatesConsumer(t *testing.T) {
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	give(t, st, 10, "bo")
	r, stop := start(t, st, t.TempDir())
	waitSeq(t, r, st)
	stop()
	r2, stop2 := start(t, st, t.TempDir())
	defer stop2()
	waitSeq(t, r2, st)
	if got := counts(t, r2); got["bo"] != 10 {
		t.Fatalf("counts = %v, want bo 10", got)
	}
	if _, err := st.Stream().Consumer(context.Background(), r2.ConsumerName()); err != nil {
		t.Fatal(err)
	}
	_ = jetstream.ErrConsumerNotFound
}
