package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
)

// BenchmarkGiveKudosHTTP measures POST /v1/kudos end to end: an engine with
// its embedded JetStream, bench.Givers clients with keep-alive connections,
// the bootstrap admin key naming the giver in from. Each client gives for
// givers of its own, rotating so that nobody gives more than
// bench.HistoryPerGiver kudos at any b.N (see the in-process benchmark in
// pkg/command).
func BenchmarkGiveKudosHTTP(b *testing.B) {
	e := enginetest.Start(b, engine.Config{Limits: bench.NoRateLimits})
	plan := bench.NewGives(b.N)
	members := plan.Members()
	bench.SeedGivers(b, e.Command, auth.BootstrapTenant, members)

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: bench.Givers, MaxIdleConnsPerHost: bench.Givers, IdleConnTimeout: time.Minute,
	}}
	b.Cleanup(client.CloseIdleConnections)
	url := e.URL + "/v1/kudos"
	// The bodies are built beforehand, one a giver: the clients run on the
	// engine's cores and should take as little of them as they can.
	bodies := make([][]byte, members)
	for g := range bodies {
		var err error
		bodies[g], err = json.Marshal(map[string]any{
			"from": bench.GiveMember(g), "to": []string{bench.GiveMember((g + 1) % members)},
			"message": bench.KudosMessage, "values": []string{"ownership"}, "points": 1,
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	ctx := context.Background()
	b.ResetTimer()
	err := bench.Workers(func(w int) error {
		for i := range plan.Share(w) {
			if _, err := bench.Post(ctx, client, url, enginetest.BootstrapKey, bodies[plan.Giver(w, i)]); err != nil {
				return fmt.Errorf("client %d, kudos %d: %w", w, i, err)
			}
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
