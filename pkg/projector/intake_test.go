package projector_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestRunnerNeverSkipsMessagesItDidNotReceive: messages the server
// delivered on the runner's consumer that never reached the runner (here a
// second client pulls some from the same durable consumer and never
// acknowledges them; a client over its pending limits, or a connection
// lost mid-batch, loses them alike) leave a gap in the delivery
// sequence. The runner must not acknowledge past them (AckAll would drop
// them for good): it binds the consumer again after its store's last
// sequence, and every event is counted exactly once.
func TestRunnerNeverSkipsMessagesItDidNotReceive(t *testing.T) {
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	ctx := context.Background()
	give(t, st, 10, "bo")
	r, stop, wg := start(t, st, t.TempDir())
	defer func() { stop(); wg.Wait(); r.Close() }()
	waitSeq(t, r, st)

	js, err := jetstream.New(testenv.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	stolen := testenv.TakeDeliveries(t, js, st.Stream().CachedInfo().Config.Name, r.ConsumerName(), 3,
		func(int) { give(t, st, 10, "cy") })
	give(t, st, 5, "cy")
	waitSeq(t, r, st)
	info, err := st.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := info.State.Msgs - 10
	if got := counts(t, r); got["bo"] != 10 || got["cy"] != want {
		t.Fatalf("counts = %v, want bo 10 and cy %d (the second client took %d deliveries)", got, want, stolen)
	}
}
