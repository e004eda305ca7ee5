package projections_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/plaudit/plaudit/internal/bench"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
)

// The benchmarks of the feed, allowance and density projections measure
// each over a realistic stream built once per benchmark (internal/bench:
// 10,000 members in teams of ten, then 1,000,000 kudos, reactions and
// retractions over a year; PLAUDIT_BENCH_EVENTS and PLAUDIT_BENCH_MEMBERS
// size it), in two sets of sub-benchmarks (benchProjection):
//
//   - catchup/raw and catchup/projector: the whole stream read by a raw
//     JetStream consumer, and applied by the projector to a fresh store, in
//     events/s; make bench reports their ratio. Beside them,
//     catchup/runtime, the runtime with a projection that keeps nothing:
//     a bound on what the projector can reach.
//   - <reads>/inprocess, <reads>/http and <reads>/http-<rate>rps: the
//     latency of one query with 64 readers, through the projection's query
//     function and through the same read on the HTTP API of a real engine,
//     flat out and paced, as p50-ms and p99-ms.

// BenchmarkFeed measures the feed projection; its reads, page, are feed
// pages through GET /v1/feed.
func BenchmarkFeed(b *testing.B) {
	benchProjection(b, feed.Module(), "page", apiv1.QueryFeedPage, 2, pageRequest, fullPage)
}

// BenchmarkAllowance measures the allowance projection; its reads, balance,
// are members' balances through GET /v1/members/{id}/balance.
func BenchmarkAllowance(b *testing.B) {
	benchProjection(b, allowance.Module(), "balance", apiv1.QueryBalance, 4, balanceRequest, received)
}

// BenchmarkDensity measures the density projection; its reads, team, are
// teams' density over 7 or 30 days through GET /v1/teams/{id}/density.
func BenchmarkDensity(b *testing.B) {
	benchProjection(b, density.Module(), "team", apiv1.QueryDensityTeam, 6, teamRequest, recognised)
}

// benchProjection runs the benchmarks of mod's projection
// (bench.Projection) as sub-benchmarks of b, its reads named reads: reads
// of query, whose i-th request (and the path of the same read on the HTTP
// API) ask makes for a workload of members, drawing from a generator
// seeded with seed. check fails on an answer to the first request that
// would make the benchmark measure nothing.
func benchProjection[Resp any](b *testing.B, mod projector.Module, reads, query string, seed uint64,
	ask func(rng *rand.Rand, members, i int) (req any, path string), check func(Resp) error) {
	bench.Projection(b, mod, reads, func(b *testing.B, members int) bench.Requests {
		rng := rand.New(rand.NewPCG(seed, seed+1))
		return bench.NewRequests(b, query, func(i int) (any, string) { return ask(rng, members, i) }, check)
	})
}

// pageRequest is one of the mix of first pages the readers ask for, as the
// bootstrap admin (no viewer): 40% the tenant feed, 30% a team's, 30% a
// member's received or given kudos, and one in ten of each filtered by a
// company value.
func pageRequest(rng *rand.Rand, members, i int) (any, string) {
	values := bench.Policy().Values
	q := apiv1.FeedQuery{Tenant: auth.BootstrapTenant, Scope: "tenant"}
	m := rng.IntN(members)
	switch r := rng.IntN(10); {
	case i == 0: // the check's: the tenant feed is never short
	case r >= 7:
		q.Scope = "member:" + bench.Member(m)
		if r == 9 {
			q.Direction = "given"
		}
	case r >= 4:
		q.Scope = "team:" + bench.Team(m)
	}
	if i > 0 && rng.IntN(10) == 0 {
		q.Value = values[rng.IntN(len(values))]
	}
	v := url.Values{"scope": {q.Scope}}
	if q.Direction != "" {
		v.Set("direction", q.Direction)
	}
	if q.Value != "" {
		v.Set("value", q.Value)
	}
	return apiv1.FeedRequest{FeedQuery: q}, "/v1/feed?" + v.Encode()
}

// fullPage wants a full first page of the tenant feed.
func fullPage(page apiv1.FeedPage) error {
	if len(page.Items) != feed.DefaultLimit {
		return fmt.Errorf("the tenant feed's first page has %d items, want %d", len(page.Items), feed.DefaultLimit)
	}
	return nil
}

// balanceRequest asks for the balance of a member drawn at random.
func balanceRequest(rng *rand.Rand, members, _ int) (any, string) {
	m := bench.Member(rng.IntN(members))
	return apiv1.BalanceRequest{Tenant: auth.BootstrapTenant, Member: m}, "/v1/members/" + m + "/balance"
}

// received wants a balance with the workload's limit and kudos received:
// a benchmark of empty balances would measure little.
func received(bal apiv1.Balance) error {
	if want := bench.Policy().Allowance.Amount; bal.Limit != want || bal.ReceivedTotal.Count == 0 {
		return fmt.Errorf("balance %+v: want a limit of %d and kudos received", bal, want)
	}
	return nil
}

// teamRequest asks for the density of a team drawn at random, over 7 days
// or, one time in four, 30.
func teamRequest(rng *rand.Rand, members, i int) (any, string) {
	team := bench.Team(rng.IntN(members))
	window := density.Window7d
	if i == 0 || rng.IntN(4) == 0 {
		window = density.Window30d
	}
	return apiv1.DensityRequest{Tenant: auth.BootstrapTenant, Team: team, Window: window},
		"/v1/teams/" + team + "/density?window=" + window
}

// recognised wants a team of ten with moments over 30 days: a benchmark of
// empty teams would measure little.
func recognised(d apiv1.TeamDensity) error {
	if d.Members != 10 || d.Received == 0 {
		return fmt.Errorf("team density %+v: want 10 members and moments received", d.Figures)
	}
	return nil
}
