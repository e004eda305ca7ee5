package command_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// benchClients is how many callers give kudos at once.
const benchClients = 64

// benchMessage is specific enough for the default message rules and the same
// text the raw baseline in pkg/eventstore sizes its messages with.
const benchMessage = "Thanks for untangling the flaky deploy pipeline before Friday's release"

// benchZones are the members' time zones: each give works out the period in
// the giver's zone, as it would in a real tenant.
var benchZones = []string{"Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Europe/Berlin"}

// BenchmarkGiveKudosInProcess measures the write side's throughput: 64
// goroutines call Service.GiveKudos, each with givers of its own so that they
// contend only for the store, never for an aggregate. Every call runs the real
// validation against the directory, the allowance check and a conditional
// append on the giver's last sequence. Givers rotate so that nobody gives
// more than benchHistoryPerGiver kudos, well within the allowance, at any b.N.
func BenchmarkGiveKudosInProcess(b *testing.B) {
	srv := testenv.NATS(b, "")
	st := testenv.Store(b, srv)
	dir := command.NewDirectory()
	runDirectory(b, dir, st)
	svc := command.NewService(st, dir, nil)
	ctx := b.Context()
	const tenant = "bench"
	plan := newBenchPlan(b.N)
	benchSeed(b, svc, tenant, plan.members())

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	b.ResetTimer()
	for w := range benchClients {
		wg.Go(func() {
			for i := range plan.share(w) {
				from, to := plan.pair(w, i)
				res, err := svc.GiveKudos(ctx, command.GiveKudos{
					Tenant: tenant, From: from, To: []string{to}, Message: benchMessage,
					Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
				})
				if err == nil && res.Replayed {
					err = fmt.Errorf("give %d of worker %d replayed", i, w)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("give kudos: %v", firstErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(benchLastKudosSize(b, st, tenant), "B/event")
}

// benchPlan spreads n gives over benchClients workers. Worker w owns the
// givers w, w+64, w+128, … and rotates through them, so no two workers share
// a giver and none gives more than benchHistoryPerGiver kudos.
type benchPlan struct {
	n      int
	givers int // per worker
}

// benchHistoryPerGiver bounds the kudos one giver gives in a run, so that the
// figure does not depend on b.N: the conditional append looks up the giver's
// last event under a wildcard, which costs the server more the more kudos
// the giver has in the stream. It stays well below the daily allowance the
// benchmark's policy sets (command.MaxAllowance, one point a kudos).
const benchHistoryPerGiver = 100

func newBenchPlan(n int) benchPlan {
	most := n/benchClients + 1
	return benchPlan{n: n, givers: max(4, (most+benchHistoryPerGiver-1)/benchHistoryPerGiver)}
}

func (p benchPlan) members() int { return p.givers * benchClients }

func (p benchPlan) share(w int) int {
	s := p.n / benchClients
	if w < p.n%benchClients {
		s++
	}
	return s
}

// pair is the giver and recipient of worker w's i-th kudos.
func (p benchPlan) pair(w, i int) (from, to string) {
	g := w + benchClients*(i%p.givers)
	return benchMember(g), benchMember((g + 1) % p.members())
}

func benchMember(i int) string { return fmt.Sprintf("m-%04d", i) }

// benchSeed sets a policy of 1000 points a day and creates the members,
// concurrently, through the service.
func benchSeed(tb testing.TB, svc *command.Service, tenant string, members int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pol := event.DefaultPolicy()
	pol.Allowance = event.Allowance{Amount: command.MaxAllowance, Period: event.PeriodDay}
	if _, err := svc.SetPolicy(ctx, command.SetPolicy{Tenant: tenant, PolicySet: pol}); err != nil {
		tb.Fatalf("set policy: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, benchClients)
	for w := range benchClients {
		wg.Go(func() {
			for i := w; i < members; i += benchClients {
				_, err := svc.UpsertMember(ctx, command.UpsertMember{Tenant: tenant, MemberUpserted: event.MemberUpserted{
					Member: benchMember(i), Name: "Member " + benchMember(i), Team: fmt.Sprintf("team-%d", i%16),
					TimeZone: benchZones[i%len(benchZones)], Active: true,
				}})
				if err != nil {
					errs <- fmt.Errorf("member %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
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
