package feed_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/plaudit/plaudit/internal/bench"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/projections/feed"
)

// BenchmarkFeed measures the feed projection over a realistic stream built
// once per run (internal/bench: 10,000 members, then 1,000,000 kudos,
// reactions and retractions; PLAUDIT_BENCH_EVENTS and PLAUDIT_BENCH_MEMBERS
// size it):
//
//   - catchup/raw and catchup/projector: the whole stream read by a raw
//     JetStream consumer, and applied by the feed projector to a fresh
//     store, in events/s; make bench reports their ratio. Beside them,
//     catchup/runtime, the runtime with a projection that keeps nothing:
//     a bound on what the projector can reach.
//   - page/inprocess, page/http and page/http-<rate>rps: the latency of a
//     feed page with 64 readers, through the projection's query function
//     and through GET /v1/feed of a real engine, flat out and paced, as
//     p50-ms and p99-ms.
func BenchmarkFeed(b *testing.B) {
	bench.Projection(b, feed.Module(), "page", pageRequests)
}

// pageRequests is the mix of first pages the readers ask for, as the
// bootstrap admin (no viewer): 40% the tenant feed, 30% a team's, 30% a
// member's received or given kudos, and one in ten of each filtered by a
// company value.
func pageRequests(b *testing.B, members int) bench.Requests {
	rng := rand.New(rand.NewPCG(2, 3))
	values := bench.Policy().Values
	return bench.NewRequests(b, apiv1.QueryFeedPage, func(i int) (any, string) {
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
	}, fullPage)
}

// fullPage wants a full first page of the tenant feed.
func fullPage(page apiv1.FeedPage) error {
	if len(page.Items) != feed.DefaultLimit {
		return fmt.Errorf("the tenant feed's first page has %d items, want %d", len(page.Items), feed.DefaultLimit)
	}
	return nil
}
