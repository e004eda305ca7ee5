package allowance_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/plaudit/plaudit/internal/bench"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/projections/allowance"
)

// BenchmarkAllowance measures the allowance projection over a realistic
// stream built once per run (internal/bench: 10,000 members, then 1,000,000
// kudos, reactions and retractions; PLAUDIT_BENCH_EVENTS and
// PLAUDIT_BENCH_MEMBERS size it):
//
//   - catchup/raw and catchup/projector: the whole stream read by a raw
//     JetStream consumer, and applied by the allowance projector to a fresh
//     store, in events/s; make bench reports their ratio. Beside them,
//     catchup/runtime, the runtime with a projection that keeps nothing:
//     a bound on what the projector can reach.
//   - balance/inprocess, balance/http and balance/http-<rate>rps: the
//     latency of a member's balance with 64 readers, through the
//     projection's query function and through GET /v1/members/{id}/balance
//     of a real engine, flat out and paced, as p50-ms and p99-ms.
func BenchmarkAllowance(b *testing.B) {
	bench.Projection(b, allowance.Module(), "balance", balanceRequests)
}

// balanceRequests asks for the balances of members drawn at random.
func balanceRequests(b *testing.B, members int) bench.Requests {
	rng := rand.New(rand.NewPCG(4, 5))
	return bench.NewRequests(b, apiv1.QueryBalance, func(int) (any, string) {
		m := bench.Member(rng.IntN(members))
		return apiv1.BalanceRequest{Tenant: auth.BootstrapTenant, Member: m}, "/v1/members/" + m + "/balance"
	}, received)
}

// received wants a balance with the workload's limit and kudos received:
// a benchmark of empty balances would measure little.
func received(bal apiv1.Balance) error {
	if want := bench.Policy().Allowance.Amount; bal.Limit != want || bal.ReceivedTotal.Count == 0 {
		return fmt.Errorf("balance %+v: want a limit of %d and kudos received", bal, want)
	}
	return nil
}
