package density_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/plaudit/plaudit/internal/bench"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/projections/density"
)

// BenchmarkDensity measures the density projection over a realistic stream
// built once per run (internal/bench: 10,000 members in teams of ten, then
// 1,000,000 kudos, reactions and retractions over a year;
// PLAUDIT_BENCH_EVENTS and PLAUDIT_BENCH_MEMBERS size it):
//
//   - catchup/raw and catchup/projector: the whole stream read by a raw
//     JetStream consumer, and applied by the density projector to a fresh
//     store, in events/s; make bench reports their ratio. Beside them,
//     catchup/runtime, the runtime with a projection that keeps nothing:
//     a bound on what the projector can reach.
//   - team/inprocess, team/http and team/http-<rate>rps: the latency of a
//     team's density over 7 or 30 days with 64 readers, through the
//     projection's query function and through GET /v1/teams/{id}/density of
//     a real engine, flat out and paced, as p50-ms and p99-ms.
func BenchmarkDensity(b *testing.B) {
	bench.Projection(b, density.Module(), "team", teamRequests)
}

// teamRequests asks for the density of teams drawn at random, over 7 days
// or, one time in four, 30.
func teamRequests(b *testing.B, members int) bench.Requests {
	rng := rand.New(rand.NewPCG(6, 7))
	return bench.NewRequests(b, apiv1.QueryDensityTeam, func(i int) (any, string) {
		team := bench.Team(rng.IntN(members))
		window := density.Window7d
		if i == 0 || rng.IntN(4) == 0 {
			window = density.Window30d
		}
		return apiv1.DensityRequest{Tenant: auth.BootstrapTenant, Team: team, Window: window},
			"/v1/teams/" + team + "/density?window=" + window
	}, recognised)
}

// recognised wants a team of ten with moments over 30 days: a benchmark of
// empty teams would measure little.
func recognised(d apiv1.TeamDensity) error {
	if d.Members != 10 || d.Received == 0 {
		return fmt.Errorf("team density %+v: want 10 members and moments received", d.Figures)
	}
	return nil
}
