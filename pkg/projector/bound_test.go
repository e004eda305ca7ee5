package projector

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestRunnerBoundAfterDeliveriesToNobody: deliveries the server makes on
// the runner's consumer after the runner bound it and before it pulls (to
// a pull request of an earlier binding or of a process gone, which nobody
// reads) are never acknowledged past: the runner's first message is not
// the delivery it expects, so it binds the consumer again after its
// store's last sequence, and every event is counted once.
func TestRunnerBoundAfterDeliveriesToNobody(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	appendKudos(t, st, 10, "bo")
	r, err := New(tally{}, Config{Stream: st, Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Metrics: NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	js, err := jetstream.New(testenv.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	var bindings, taken atomic.Int64
	r.hook = func(p string) error {
		if p == hookBound && bindings.Add(1) == 1 {
			taken.Store(int64(testenv.TakeDeliveries(t, js, st.Stream().CachedInfo().Config.Name, r.ConsumerName(), 3,
				func(int) {})))
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	appendKudos(t, st, 5, "cy")
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, streamLast(t, st)); err != nil {
		t.Fatal(err)
	}
	if counts, _, applied := tallyOf(t, r); counts["bo"] != 10 || counts["cy"] != 5 || applied != 15 {
		t.Fatalf("counts %v, applied %d; want bo 10, cy 5, 15 applied (%d deliveries taken before the first pull)", counts, applied, taken.Load())
	}
	if bindings.Load() < 2 {
		t.Fatalf("the consumer was bound %d times, want it bound again after the lost deliveries", bindings.Load())
	}
}
