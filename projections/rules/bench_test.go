package rules_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
)

// BenchmarkRatingToKudos measures the time from a 5-star rating's append
// (its command returning) to the kudos the rules engine gives for it being
// in the stream (seen by a subscriber to the kudos subjects), with ratings
// recorded at 200 a second through the in-process command service of a
// real engine; as p50-ms and p99-ms.
func BenchmarkRatingToKudos(b *testing.B) {
	e, _ := startRules(b, enginetest.Member{ID: "bo", Team: "support", TimeZone: "UTC"})
	var (
		mu   sync.Mutex
		seen = map[string]time.Time{} // rating id -> when its kudos arrived
	)
	sub, err := e.Conn().Subscribe(event.Prefix+".*.kudos.*.given", func(m *nats.Msg) {
		at := time.Now()
		_, d, err := event.Read(m.Data)
		if k, ok := d.(event.KudosGiven); err == nil && ok && k.Cause != nil {
			mu.Lock()
			seen[k.Cause.EventID] = at
			mu.Unlock()
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	const rate = 200.0
	ctx := context.Background()
	type rated struct {
		id string
		at time.Time
	}
	all := make([]rated, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); wait > 0 {
			time.Sleep(wait)
		}
		res, err := e.Command.RecordRating(ctx, command.RecordRating{Tenant: "acme", RatingReceived: event.RatingReceived{
			Platform: "cxone", InteractionID: fmt.Sprintf("bench-%d-%d", start.UnixNano(), i), Agent: "bo", Score: 5,
			Scale: event.ScaleStars5, Channel: event.InteractionVoice, HandleTimeSeconds: 200, OccurredAt: time.Now().Add(-time.Minute)}})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, rated{res.Events[0].ID, time.Now()})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= len(all) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d kudos seen", n, len(all))
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	lat := make([]time.Duration, 0, len(all))
	mu.Lock()
	for _, r := range all {
		lat = append(lat, max(seen[r.id].Sub(r.at), 0))
	}
	mu.Unlock()
	slices.Sort(lat)
	bench.ReportLatency(b, lat)
}
