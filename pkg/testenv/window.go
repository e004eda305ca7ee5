package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// PastDuplicateWindow returns once JetStream has forgotten the ids of every
// event st holds now: it appends a probe (an inactive member of tenant,
// stored at at) and waits until the probe may be appended again, or fails
// the test when ctx ends first.
func PastDuplicateWindow(ctx context.Context, tb testing.TB, st *eventstore.Store, tenant string, at time.Time) {
	tb.Helper()
	probe, err := event.New(tenant, uuid.NewString(), at, event.MemberUpserted{
		Member: "probe", Name: "Probe", Team: "support", TimeZone: "UTC", Active: false,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Append(ctx, eventstore.Pending{Event: probe}); err != nil {
		tb.Fatal(err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := st.Append(ctx, eventstore.Pending{Event: probe})
		if err == nil {
			return
		}
		if !errors.Is(err, eventstore.ErrDuplicate) {
			tb.Fatal(err)
		}
		select {
		case <-ctx.Done():
			tb.Fatal("the duplicate window never passed")
		case <-tick.C:
		}
	}
}
