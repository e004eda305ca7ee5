package allowance_test

import (
	"encoding/json"
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
	env := bench.NewEnv(b)
	b.Run("catchup", func(b *testing.B) { env.CatchUp(b, allowance.Module()) })
	b.Run("balance", func(b *testing.B) {
		env.Reads(b, allowance.Module(), balanceRequests(b, env.Fixture(b).Result.Members))
	})
}

// balanceRequests asks for the balances of members drawn at random.
func balanceRequests(b *testing.B, members int) bench.Requests {
	b.Helper()
	rng := rand.New(rand.NewPCG(4, 5))
	reqs := bench.Requests{Query: apiv1.QueryBalance, Check: received}
	for range 4096 {
		m := bench.Member(rng.IntN(members))
		body, err := json.Marshal(apiv1.BalanceRequest{Tenant: auth.BootstrapTenant, Member: m})
		if err != nil {
			b.Fatal(err)
		}
		reqs.Bodies = append(reqs.Bodies, body)
		reqs.Paths = append(reqs.Paths, "/v1/members/"+m+"/balance")
	}
	return reqs
}

// received wants a balance with the workload's limit and kudos received:
// a benchmark of empty balances would measure little.
func received(answer []byte) error {
	var bal apiv1.Balance
	if err := json.Unmarshal(answer, &bal); err != nil {
		return err
	}
	if want := bench.Policy().Allowance.Amount; bal.Limit != want || bal.ReceivedTotal.Count == 0 {
		return fmt.Errorf("balance %+v: want a limit of %d and kudos received", bal, want)
	}
	return nil
}
