package command_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// BenchmarkGiveKudosInProcess measures the write side's throughput:
// bench.Givers goroutines call Service.GiveKudos, each with givers of its
// own so that they contend only for the store, never for an aggregate.
// Every call runs the real validation against the directory, the allowance
// check and a conditional append on the giver's last sequence. Givers
// rotate so that nobody gives more than bench.HistoryPerGiver kudos, well
// within the allowance, at any b.N.
func BenchmarkGiveKudosInProcess(b *testing.B) {
	st := testenv.Store(b, testenv.NATS(b, ""))
	dir := command.NewDirectory()
	runDirectory(b, dir, st)
	svc := command.NewService(st, dir, nil)
	ctx := b.Context()
	const tenant = "bench"
	plan := bench.NewGives(b.N)
	bench.SeedGivers(b, svc, tenant, plan.Members())

	b.ResetTimer()
	err := bench.Workers(func(w int) error {
		for i := range plan.Share(w) {
			from, to := plan.Pair(w, i)
			res, err := svc.GiveKudos(ctx, command.GiveKudos{
				Tenant: tenant, From: from, To: []string{to}, Message: bench.KudosMessage,
				Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
			})
			if err != nil {
				return err
			}
			if res.Replayed {
				return fmt.Errorf("give %d of worker %d replayed", i, w)
			}
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatalf("give kudos: %v", err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(benchLastKudosSize(b, st, tenant), "B/event")
}

// benchLastKudosSize is the payload size of the newest kudos in the stream, to
// show it matches the raw baseline's.
func benchLastKudosSize(tb testing.TB, st *eventstore.Store, tenant string) float64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := st.Stream().GetLastMsgForSubject(ctx, "plaudit."+tenant+".kudos.>")
	if err != nil {
		tb.Fatalf("last kudos: %v", err)
	}
	return float64(len(m.Data))
}
