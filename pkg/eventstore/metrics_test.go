package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// publishErrors reads the store's publish-errors counter, by kind.
func publishErrors(t *testing.T, st *eventstore.Store) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(st.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "plaudit_eventstore_publish_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}

// TestPublishErrorsCounted: each append JetStream refuses or leaves
// unanswered counts once under its kind, from the start at 0; an append
// answered as a duplicate of a stored one (a retry that succeeded before)
// and an event its schema refuses never reached JetStream as errors, and
// count nothing.
func TestPublishErrorsCounted(t *testing.T) {
	t.Parallel()
	srv, st := newStore(t)
	ctx := testCtx(t)
	want := map[string]float64{"conflict": 0, "duplicate": 0, "unavailable": 0, "other": 0}
	check := func(when string) {
		t.Helper()
		got := publishErrors(t, st)
		for kind, n := range want {
			if got[kind] != n {
				t.Errorf("%s: %s errors = %v, want %v", when, kind, got[kind], n)
			}
		}
	}
	check("at the start")

	k := kudos(t, "ana")
	mustAppend(t, st, eventstore.Pending{Event: k})
	if _, err := st.Append(ctx, eventstore.Pending{Event: k}); !errors.Is(err, eventstore.ErrDuplicate) {
		t.Fatalf("append again = %v, want ErrDuplicate", err)
	}
	bad := kudos(t, "ana")
	bad.Data = []byte(`{"giver":"ana"}`)
	if _, err := st.Append(ctx, eventstore.Pending{Event: bad}); err == nil {
		t.Fatal("an event its schema refuses was appended")
	}
	check("after a duplicate and an invalid event")

	stale := &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: 0}
	if _, err := st.Append(ctx, eventstore.Pending{Event: kudos(t, "ana"), Expect: stale}); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("stale append = %v, want ErrConflict", err)
	}
	want["conflict"]++
	check("after a conflict")

	if _, err := st.AppendBatch(ctx, []eventstore.Pending{{Event: kudos(t, "ben")}, {Event: k}}); !errors.Is(err, eventstore.ErrDuplicate) {
		t.Fatalf("batch with a stored id = %v, want ErrDuplicate", err)
	}
	want["duplicate"]++
	check("after a batch holding a stored id")

	srv.Shutdown()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := st.Append(short, eventstore.Pending{Event: kudos(t, "ana")}); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("append on a stopped server = %v, want ErrUnavailable", err)
	}
	want["unavailable"]++
	check("after the server stopped")
}
