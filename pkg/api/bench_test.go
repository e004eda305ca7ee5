package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
)

// benchClients is how many HTTP clients give kudos at once, each on its own
// kept-alive connection.
const benchClients = 64

// benchMessage is the message of every benchmark kudos, the same text as in
// the in-process and raw JetStream benchmarks.
const benchMessage = "Thanks for untangling the flaky deploy pipeline before Friday's release"

// benchZones are the members' time zones.
var benchZones = []string{"Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Europe/Berlin"}

// benchHistoryPerGiver bounds the kudos one giver gives in a run, so that the
// figure does not depend on b.N (see the in-process benchmark in
// pkg/command). It stays well below the daily allowance the benchmark's
// policy sets.
const benchHistoryPerGiver = 100

// BenchmarkGiveKudosHTTP measures POST /v1/kudos end to end: an engine with
// its embedded JetStream, 64 clients with keep-alive connections, the
// bootstrap admin key naming the giver in from. Each client gives for givers
// of its own, rotating so that nobody gives more than benchHistoryPerGiver kudos
// at any b.N.
func BenchmarkGiveKudosHTTP(b *testing.B) {
	const key = "bench-admin-key-0123456789"
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Start(ctx, engine.Config{
		DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", BootstrapKey: key, Limits: bench.NoRateLimits,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		cancel()
		b.Fatalf("start engine: %v", err)
	}
	b.Cleanup(func() {
		cancel()
		if err := e.Wait(ctx, 10*time.Second); err != nil {
			b.Errorf("engine: %v", err)
		}
	})
	tenant := auth.BootstrapTenant
	givers := max(4, (b.N/benchClients+1+benchHistoryPerGiver-1)/benchHistoryPerGiver) // per client
	members := givers * benchClients
	benchSeed(b, e.Command, tenant, members)

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: benchClients, MaxIdleConnsPerHost: benchClients, IdleConnTimeout: time.Minute,
	}}
	b.Cleanup(client.CloseIdleConnections)
	url := "http://" + e.HTTPAddr() + "/v1/kudos"
	// The bodies are built beforehand: the clients run on the engine's cores
	// and should take as little of them as they can.
	bodies := make([][]byte, members)
	for g := range bodies {
		bodies[g], err = json.Marshal(map[string]any{
			"from": benchMember(g), "to": []string{benchMember((g + 1) % members)},
			"message": benchMessage, "values": []string{"ownership"}, "points": 1,
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	b.ResetTimer()
	for w := range benchClients {
		n := b.N / benchClients
		if w < b.N%benchClients {
			n++
		}
		wg.Go(func() {
			for i := range n {
				if err := benchPost(ctx, client, url, key, bodies[w+benchClients*(i%givers)]); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("client %d, kudos %d: %w", w, i, err) })
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// benchPost gives one kudos and wants 201 Created.
func benchPost(ctx context.Context, client *http.Client, url, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d: %s", resp.StatusCode, reply)
	}
	return nil
}

func benchMember(i int) string { return fmt.Sprintf("m-%04d", i) }

// benchSeed sets a policy of 1000 points a day and creates the members,
// concurrently, through the engine's command service: setting up is not what
// is measured.
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
