package projector_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/projector"
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
	r, stop := start(t, st, t.TempDir())
	defer stop()
	waitSeq(t, r, st)

	js := testenv.JetStream(t, srv)
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

// TestRebind: what makes a runner bind its consumer again, and what stops
// it for good.
func TestRebind(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"lost deliveries", fmt.Errorf("batch: %w", projector.ErrLost), true},
		{"consumer deleted", jetstream.ErrConsumerDeleted, true},
		{"pull unanswered", nats.ErrNoResponders, true},
		{"heartbeats missed", jetstream.ErrNoHeartbeat, true},
		{"binding timed out", projector.BindError(context.DeadlineExceeded), true},
		{"consumer not found on binding", projector.BindError(&jetstream.APIError{Code: 404, ErrorCode: jetstream.JSErrCodeConsumerNotFound}), true},
		{"server unavailable on binding", projector.BindError(&jetstream.APIError{Code: 503}), true},
		{"consumer update refused", projector.BindError(&jetstream.APIError{Code: 400, Description: "consumer ack policy can not be updated"}), false},
		{"permission denied", projector.BindError(&jetstream.APIError{Code: 403}), false},
		{"store failure", errors.New("pebble: closed"), false},
		{"no error", nil, false},
	} {
		if got := projector.Rebind(tt.err); got != tt.want {
			t.Errorf("%s: Rebind(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
