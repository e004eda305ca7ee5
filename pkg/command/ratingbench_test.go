package command_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// benchRating is a rating as a platform sends it, for interaction i.
func benchRating(i int, now time.Time) event.RatingReceived {
	return event.RatingReceived{
		Platform: "cxone", InteractionID: fmt.Sprintf("conv-%08d-4c1e-9a8e", i), Agent: "agent-1", Score: 1 + i%5,
		Scale: event.ScaleStars5, Comment: "Sorted my refund in minutes, and kindly", Channel: event.InteractionVoice,
		HandleTimeSeconds: 312, OccurredAt: now.Add(-time.Hour),
	}
}

// BenchmarkRecordRatingsBatch measures bulk rating ingestion in process:
// one caller sends batches of command.MaxRatingBatch new ratings to
// Service.RecordRatings, the path of POST /v1/ratings:batch after
// decoding. Every rating is validated against the directory and its JSON
// Schema, looked up in the rating index and stored in atomic appends
// conditioned per shard. Its baseline is BenchmarkRawJetStreamPublishAsync
// (pkg/eventstore), events of the same size published with no checks.
func BenchmarkRecordRatingsBatch(b *testing.B) {
	st := testenv.Store(b, testenv.NATS(b, ""))
	dir := diskDirectory(b)
	runDirectory(b, dir, st)
	svc := command.NewService(st, dir, nil)
	ctx := b.Context()
	const tenant = "bench"
	if _, err := svc.UpsertMember(ctx, command.UpsertMember{Tenant: tenant, MemberUpserted: event.MemberUpserted{
		Member: "agent-1", Name: "Agent", Team: "support", TimeZone: "UTC", Active: true}}); err != nil {
		b.Fatal(err)
	}
	waitMember(b, dir, tenant, "agent-1")
	now := time.Now()
	ratings := make([]event.RatingReceived, b.N)
	for i := range ratings {
		ratings[i] = benchRating(i, now)
	}
	b.ResetTimer()
	for start := 0; start < len(ratings); start += command.MaxRatingBatch {
		out, err := svc.RecordRatings(ctx, tenant, ratings[start:min(start+command.MaxRatingBatch, len(ratings))])
		if err != nil {
			b.Fatal(err)
		}
		for i, o := range out {
			if o.Err != nil || o.Result.Replayed {
				b.Fatalf("rating %d: %+v", start+i, o)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	m, err := st.Stream().GetLastMsgForSubject(ctx, "plaudit.bench.rating.>")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(m.Data)), "B/event")
}

// waitMember waits until the directory knows member.
func waitMember(tb testing.TB, dir *command.Directory, tenant, member string) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, ok := dir.Member(tenant, member); ok {
			return
		}
	}
	tb.Fatalf("member %s not in the directory", member)
}

// BenchmarkRatingServerMemory measures what nats-server keeps in memory per
// rating stored: 1,000,000 ratings (PLAUDIT_BENCH_RATINGS to change it) of
// as many interactions are published into the real stream configuration
// of an embedded server in this process, on the subjects of before the
// shards (one per interaction: per-interaction) or on shard subjects
// (shards), raw, with no message ids so that the duplicate window holds
// nothing. The Go heap in use after a full GC, taken once the server's
// block caches have expired (11 s idle), less the same figure before
// publishing, over the ratings, is the server's B/rating: the process holds
// nothing else but the idle client. engine-B/rating (shards only) is what
// the engine's rating index then costs plauditd's heap, measured the same
// way around Service.LoadRatings: on disk, as plauditd keeps it, it costs
// the heap nothing (its memtable and block cache are outside the heap,
// bounded).
//
// It runs once whatever b.N; each sub-benchmark writes about 500 MB of
// ratings to a temporary dir.
func BenchmarkRatingServerMemory(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PLAUDIT_BENCH_RATINGS")); err == nil && v > 0 {
		n = v
	}
	for _, tt := range []struct {
		name    string
		subject func(r event.RatingReceived) string
	}{
		{"per-interaction", func(r event.RatingReceived) string {
			return event.LegacyRatingSubject("bench", r.Platform, r.InteractionID, "received")
		}},
		{"shards", func(r event.RatingReceived) string {
			return event.RatingSubject("bench", r.Platform, r.InteractionID, "received")
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			srv := testenv.NATS(b, b.TempDir())
			st := testenv.Store(b, srv)
			before := heapInUse()
			start := time.Now()
			publishRatings(b, testenv.Conn(b, srv), st, n, tt.subject)
			elapsed := time.Since(start)
			time.Sleep(11 * time.Second) // past the block caches' expiry
			after := heapInUse()
			b.ReportMetric(float64(after-before)/float64(n), "B/rating")
			b.Logf("published %d ratings in %v", n, elapsed.Round(time.Millisecond))
			if tt.name == "shards" {
				svc := command.NewService(st, diskDirectory(b), nil)
				start := time.Now()
				if err := svc.LoadRatings(b.Context()); err != nil {
					b.Fatal(err)
				}
				b.Logf("loaded the rating index in %v", time.Since(start).Round(time.Millisecond))
				loaded := heapInUse()
				b.ReportMetric(float64(loaded-after)/float64(n), "engine-B/rating")
				runtime.KeepAlive(svc)
			}
			for range b.N - 1 {
				// One measurement is the figure; b.N is not a count of it.
			}
		})
	}
}

// heapInUse is the Go heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// publishRatings publishes n rating events, each of its own interaction,
// on the subjects subject gives, and waits for every acknowledgement.
// The body, a rating of its real size, is the same for all: the server's
// memory per rating does not depend on what it holds.
func publishRatings(tb testing.TB, nc *nats.Conn, st *eventstore.Store, n int, subject func(event.RatingReceived) string) {
	tb.Helper()
	now := time.Now()
	_, body := eventtest.Stored(tb, "bench", uuid.NewString(), now, benchRating(0, now))
	publishRaw(tb, nc, n, func(i int) *nats.Msg {
		r := benchRating(i, now)
		m := nats.NewMsg(subject(r))
		m.Data = body
		m.Header.Set(event.InteractionHeader, event.InteractionKey(r.InteractionID))
		return m
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := st.Stream().Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if info.State.Msgs != uint64(n) {
		tb.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
}

// BenchmarkKudosIndexSync measures the first lookup of a kudos by id after
// a start, which reads every kudos in the stream into the write side's
// kudos index (on disk, as plauditd keeps it): 1,000,000 kudos
// (PLAUDIT_BENCH_KUDOS to change it) of 10,000 givers, published raw, then
// a lookup of an id none has. It reports kudos indexed per second.
func BenchmarkKudosIndexSync(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PLAUDIT_BENCH_KUDOS")); err == nil && v > 0 {
		n = v
	}
	srv := testenv.NATS(b, b.TempDir())
	st := testenv.Store(b, srv)
	_, body := eventtest.Stored(b, "bench", uuid.NewString(), time.Now(), eventtest.Kudos())
	publishRaw(b, testenv.Conn(b, srv), n, func(i int) *nats.Msg {
		m := nats.NewMsg(event.KudosSubject("bench", fmt.Sprintf("giver-%d", i%10_000), "given"))
		m.Data = body
		m.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
		return m
	})
	b.ResetTimer()
	for range b.N {
		// A new index each round: the first lookup reads the stream.
		svc := command.NewService(st, diskDirectory(b), nil)
		if live, err := svc.KudosLive(b.Context(), "bench", uuid.NewString()); err != nil || live {
			b.Fatalf("KudosLive of no kudos = %v, %v", live, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "kudos/s")
}

// publishRaw publishes the n messages msg makes and waits for every
// acknowledgement.
func publishRaw(tb testing.TB, nc *nats.Conn, n int, msg func(i int) *nats.Msg) {
	tb.Helper()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if _, err := js.PublishMsgAsync(msg(i), jetstream.WithStallWait(time.Minute)); err != nil {
			tb.Fatalf("publish %d: %v", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		tb.Fatalf("acks pending after 5 minutes: %d", js.PublishAsyncPending())
	}
}
