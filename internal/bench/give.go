package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// Givers is how many clients give kudos at once in the give-kudos
// benchmarks (in process in pkg/command, over HTTP in pkg/api) and in their
// raw JetStream baseline in pkg/eventstore.
const Givers = 64

// KudosMessage is the message of every give-kudos benchmark kudos: specific
// enough for the default message rules, and the same text everywhere so
// that the events the benchmarks append, and the raw baseline's, are the
// same size.
const KudosMessage = "Thanks for untangling the flaky deploy pipeline before Friday's release"

// HistoryPerGiver bounds the kudos one giver gives in a run, so that the
// figures do not depend on b.N: the conditional append looks up the giver's
// last event under a wildcard, which costs the server more the more kudos
// the giver has in the stream. It stays well below the daily allowance
// SeedGivers sets (command.MaxAllowance, one point a kudos).
const HistoryPerGiver = 100

// Gives spreads n gives over Givers workers. Worker w owns the givers w,
// w+64, w+128, … and rotates through them, so no two workers share a giver
// and none gives more than HistoryPerGiver kudos.
type Gives struct {
	n      int
	givers int // per worker
}

// NewGives plans n gives.
func NewGives(n int) Gives {
	most := n/Givers + 1
	return Gives{n: n, givers: max(4, (most+HistoryPerGiver-1)/HistoryPerGiver)}
}

// Members is how many members the gives are between.
func (p Gives) Members() int { return p.givers * Givers }

// Share is how many of the gives worker w makes.
func (p Gives) Share(w int) int {
	s := p.n / Givers
	if w < p.n%Givers {
		s++
	}
	return s
}

// Giver is the member number of the giver of worker w's i-th kudos.
func (p Gives) Giver(w, i int) int { return w + Givers*p.Slot(i) }

// Slots is how many givers each worker owns.
func (p Gives) Slots() int { return p.givers }

// Slot is which of its givers a worker gives its i-th kudos for.
func (p Gives) Slot(i int) int { return i % p.givers }

// Pair is the giver and recipient of worker w's i-th kudos.
func (p Gives) Pair(w, i int) (from, to string) {
	g := p.Giver(w, i)
	return GiveMember(g), GiveMember((g + 1) % p.Members())
}

// GiveMember is the id of the give-kudos benchmarks' i-th member.
func GiveMember(i int) string { return fmt.Sprintf("m-%04d", i) }

// giveZones are the members' time zones: each give works out the period in
// the giver's zone, as it would in a real tenant.
var giveZones = []string{"Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Europe/Berlin"}

// SeedGivers sets a policy of command.MaxAllowance points a day and creates
// the members, concurrently, through svc: setting up is not what is
// measured.
func SeedGivers(tb testing.TB, svc *command.Service, tenant string, members int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pol := event.DefaultPolicy()
	pol.Allowance = event.Allowance{Amount: command.MaxAllowance, Period: event.PeriodDay}
	if _, err := svc.SetPolicy(ctx, command.SetPolicy{Tenant: tenant, PolicySet: pol}); err != nil {
		tb.Fatalf("set policy: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, Givers)
	for w := range Givers {
		wg.Go(func() {
			for i := w; i < members; i += Givers {
				_, err := svc.UpsertMember(ctx, command.UpsertMember{Tenant: tenant, MemberUpserted: event.MemberUpserted{
					Member: GiveMember(i), Name: "Member " + GiveMember(i), Team: fmt.Sprintf("team-%d", i%16),
					TimeZone: giveZones[i%len(giveZones)], Active: true,
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

// Workers runs work(w) for each of Givers workers at once and returns the
// first error any of them returned: the timed part of the give-kudos
// benchmarks.
func Workers(work func(w int) error) error {
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for w := range Givers {
		wg.Go(func() {
			if err := work(w); err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		})
	}
	wg.Wait()
	return firstErr
}
