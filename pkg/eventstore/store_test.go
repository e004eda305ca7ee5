package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// tenant is the tenant of every event in these tests; each test has a
// server and stream of its own, so they never meet.
const tenant = "acme"

// testCtx is a context that ends with the test, or after a generous bound
// so that a hung server fails the test instead of the whole run.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newStore starts a server of the test's own and opens the stream on it.
func newStore(t *testing.T) (*natsembed.Server, *eventstore.Store) {
	t.Helper()
	srv := testenv.NATS(t, t.TempDir())
	return srv, testenv.Store(t, srv)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// kudos is a kudos_given event of giver with a fresh id, on the subject
// plaudit.acme.kudos.<giver>.<id>.given.
func kudos(t *testing.T, giver string) event.Envelope {
	t.Helper()
	return envelope(t, newID(), event.KudosGiven{
		Giver: giver, Recipients: []string{"zed"}, Message: "Thanks for pairing on the flaky deploy script",
		Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		Period: "day:2026-11-23", Spent: 1,
	})
}

// retraction is a kudos_retracted event of k, on a subject of its own that
// the giver's filter also matches.
func retraction(t *testing.T, k event.Envelope) event.Envelope {
	t.Helper()
	d, err := k.Decode()
	if err != nil {
		t.Fatal(err)
	}
	kg := d.(event.KudosGiven)
	return envelope(t, newID(), event.KudosRetracted{
		KudosID: k.ID, Giver: kg.Giver, By: kg.Giver, ByRole: event.ByGiver,
		Reason: "sent to the wrong person", Period: kg.Period, Refunded: kg.Spent,
	})
}

// member is a member_upserted event with a fresh id: every version of one
// member lands on the same exact subject.
func member(t *testing.T, id, name string) event.Envelope {
	t.Helper()
	return envelope(t, newID(), event.MemberUpserted{
		Member: id, Name: name, Team: "support", TimeZone: "Europe/Lisbon", Active: true,
	})
}

func envelope(t *testing.T, id string, d event.Data) event.Envelope {
	t.Helper()
	env, err := event.New(tenant, id, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), d)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func subjectOf(t *testing.T, e event.Envelope) string {
	t.Helper()
	s, err := e.StreamSubject()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// msgCount is how many messages the stream holds, asked of the server.
func msgCount(t *testing.T, st *eventstore.Store) uint64 {
	t.Helper()
	info, err := st.Stream().Info(testCtx(t))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

func mustAppend(t *testing.T, st *eventstore.Store, p eventstore.Pending) eventstore.Appended {
	t.Helper()
	a, err := st.Append(testCtx(t), p)
	if err != nil {
		t.Fatalf("append %s: %v", p.Event.ID, err)
	}
	return a
}

// ids lists the event ids of recs, in order.
func ids(recs []eventstore.Recorded) []string {
	return each(recs, func(r eventstore.Recorded) string { return r.ID })
}

// envIDs lists the ids of envs, in order.
func envIDs(envs ...event.Envelope) []string {
	return each(envs, func(e event.Envelope) string { return e.ID })
}

// seqs lists the stream sequences of recs, in order.
func seqs(recs []eventstore.Recorded) []uint64 {
	return each(recs, func(r eventstore.Recorded) uint64 { return r.Seq })
}

// each is f of every element of xs, in order.
func each[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func TestOpenIsIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        eventstore.Config
		wantName   string
		wantWindow time.Duration
	}{
		{name: "defaults", cfg: eventstore.Config{}, wantName: eventstore.DefaultStream, wantWindow: 2 * time.Minute},
		{name: "custom", cfg: eventstore.Config{Name: "CUSTOM", Replicas: 1, DuplicateWindow: 5 * time.Second}, wantName: "CUSTOM", wantWindow: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testenv.NATS(t, t.TempDir())
			ctx := testCtx(t)
			first, err := eventstore.Open(ctx, testenv.Conn(t, srv), tt.cfg)
			if err != nil {
				t.Fatalf("first open: %v", err)
			}
			a := mustAppend(t, first, eventstore.Pending{Event: kudos(t, "ana")})

			second, err := eventstore.Open(ctx, testenv.Conn(t, srv), tt.cfg)
			if err != nil {
				t.Fatalf("second open: %v", err)
			}
			if second.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", second.Name(), tt.wantName)
			}
			// Opening again must neither recreate nor purge the stream.
			if got := msgCount(t, second); got != 1 {
				t.Errorf("after second open the stream holds %d messages, want 1", got)
			}
			last, err := second.Last(ctx, event.TenantFilter(tenant))
			if err != nil || last.Seq != a.Seq || last.ID != a.ID {
				t.Errorf("Last after second open = %+v, %v; want id %s at %d", last, err, a.ID, a.Seq)
			}

			info, err := second.Stream().Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cfg := info.Config
			if cfg.Name != tt.wantName {
				t.Errorf("stream name %q, want %q", cfg.Name, tt.wantName)
			}
			if !slices.Equal(cfg.Subjects, []string{event.StreamSubjects}) {
				t.Errorf("subjects %v, want [%s]", cfg.Subjects, event.StreamSubjects)
			}
			if cfg.Storage != jetstream.FileStorage {
				t.Errorf("storage %v, want file", cfg.Storage)
			}
			if cfg.Duplicates != tt.wantWindow {
				t.Errorf("duplicate window %v, want %v", cfg.Duplicates, tt.wantWindow)
			}
			if !cfg.AllowAtomicPublish {
				t.Error("atomic publish is not allowed")
			}
			if !cfg.DenyDelete || !cfg.DenyPurge {
				t.Errorf("deny delete %v, deny purge %v; the stream is the truth, both must be on", cfg.DenyDelete, cfg.DenyPurge)
			}
			if cfg.Retention != jetstream.LimitsPolicy {
				t.Errorf("retention %v, want limits", cfg.Retention)
			}
			if cfg.Replicas != 1 {
				t.Errorf("replicas %d, want 1", cfg.Replicas)
			}
		})
	}
}

func TestOpenUpdatesConfig(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, t.TempDir())
	ctx := testCtx(t)
	if _, err := eventstore.Open(ctx, testenv.Conn(t, srv), eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	st, err := eventstore.Open(ctx, testenv.Conn(t, srv), eventstore.Config{DuplicateWindow: 10 * time.Second})
	if err != nil {
		t.Fatalf("reopen with another window: %v", err)
	}
	info, err := st.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Duplicates != 10*time.Second {
		t.Errorf("duplicate window %v after reopening with 10s", info.Config.Duplicates)
	}
}

func TestAppendDuplicate(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)

	first := kudos(t, "ana")
	a := mustAppend(t, st, eventstore.Pending{Event: first})
	if a.Seq != 1 || a.ID != first.ID || a.Subject != subjectOf(t, first) {
		t.Fatalf("Append = %+v; want id %s, seq 1, subject %s", a, first.ID, subjectOf(t, first))
	}
	b := mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ana")})
	if b.Seq != 2 {
		t.Fatalf("second append at %d, want 2", b.Seq)
	}

	// The same id again, also with a different body and an expectation
	// that would hold: the id alone makes it a duplicate.
	changed := first
	changed.Time = changed.Time.Add(time.Hour)
	tests := []struct {
		name string
		p    eventstore.Pending
	}{
		{name: "same event", p: eventstore.Pending{Event: first}},
		{name: "same id, other body", p: eventstore.Pending{Event: changed}},
		{name: "same id, expectation", p: eventstore.Pending{Event: first, Expect: &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: b.Seq}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.Append(ctx, tt.p)
			if !errors.Is(err, eventstore.ErrDuplicate) {
				t.Fatalf("Append = %+v, %v; want ErrDuplicate", got, err)
			}
			var dup *eventstore.DuplicateError
			if !errors.As(err, &dup) {
				t.Fatalf("error %v is not a *DuplicateError", err)
			}
			if dup.Seq != a.Seq || dup.ID != first.ID {
				t.Errorf("DuplicateError = %+v, want id %s at %d", dup, first.ID, a.Seq)
			}
			if n := msgCount(t, st); n != 2 {
				t.Errorf("stream holds %d messages, want 2", n)
			}
		})
	}
}

func TestAppendConditional(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// filter is the aggregate the appends are conditioned on.
		filter string
		// next returns the n-th event of the aggregate.
		next func(t *testing.T, n int) event.Envelope
		// outside is an event that does not belong to the aggregate.
		outside func(t *testing.T) event.Envelope
	}{
		{
			name:    "exact subject",
			filter:  event.MemberSubject(tenant, "ana", "upserted"),
			next:    func(t *testing.T, n int) event.Envelope { return member(t, "ana", fmt.Sprintf("Ana %d", n)) },
			outside: func(t *testing.T) event.Envelope { return member(t, "ben", "Ben") },
		},
		{
			// Every kudos of a giver has a subject of its own; the
			// giver's wildcard filter is the aggregate.
			name:    "wildcard filter",
			filter:  event.GiverFilter(tenant, "ana"),
			next:    func(t *testing.T, _ int) event.Envelope { return kudos(t, "ana") },
			outside: func(t *testing.T) event.Envelope { return kudos(t, "ben") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, st := newStore(t)
			ctx := testCtx(t)
			expect := func(seq uint64) *eventstore.Expectation {
				return &eventstore.Expectation{Filter: tt.filter, Seq: seq}
			}
			conflict := func(step string, p eventstore.Pending) {
				t.Helper()
				before := msgCount(t, st)
				a, err := st.Append(ctx, p)
				if !errors.Is(err, eventstore.ErrConflict) {
					t.Fatalf("%s: Append = %+v, %v; want ErrConflict", step, a, err)
				}
				if after := msgCount(t, st); after != before {
					t.Fatalf("%s: stream grew from %d to %d on a conflict", step, before, after)
				}
			}

			// An event outside the aggregate moves the stream, not the aggregate.
			mustAppend(t, st, eventstore.Pending{Event: tt.outside(t)})

			first := mustAppend(t, st, eventstore.Pending{Event: tt.next(t, 1), Expect: expect(0)})
			conflict("empty expected again", eventstore.Pending{Event: tt.next(t, 2), Expect: expect(0)})
			second := mustAppend(t, st, eventstore.Pending{Event: tt.next(t, 3), Expect: expect(first.Seq)})
			conflict("stale sequence", eventstore.Pending{Event: tt.next(t, 4), Expect: expect(first.Seq)})
			conflict("future sequence", eventstore.Pending{Event: tt.next(t, 5), Expect: expect(second.Seq + 10)})

			// Other aggregates do not disturb the expectation.
			mustAppend(t, st, eventstore.Pending{Event: tt.outside(t)})
			third := mustAppend(t, st, eventstore.Pending{Event: tt.next(t, 6), Expect: expect(second.Seq)})

			// Another subject under the same filter (a retraction for a
			// giver) moves the aggregate on: the stale expectation fails.
			if tt.filter == event.GiverFilter(tenant, "ana") {
				k, err := st.Last(ctx, event.KudosSubject(tenant, "ana", "given"))
				if err != nil {
					t.Fatal(err)
				}
				r := mustAppend(t, st, eventstore.Pending{Event: retraction(t, k.Envelope)})
				conflict("after another subject of the filter", eventstore.Pending{Event: tt.next(t, 7), Expect: expect(third.Seq)})
				mustAppend(t, st, eventstore.Pending{Event: tt.next(t, 8), Expect: expect(r.Seq)})
			}

			recs, _, err := st.Load(ctx, tt.filter, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Seq == 0 {
					t.Errorf("loaded event %s without a sequence", r.ID)
				}
			}
			want := []uint64{first.Seq, second.Seq, third.Seq}
			if got := seqs(recs); !slices.Equal(got[:3], want) {
				t.Errorf("aggregate holds %v, want it to start %v", got, want)
			}
		})
	}
}

func TestAppendBatch(t *testing.T) {
	t.Parallel()

	t.Run("stores all atomically in order", func(t *testing.T) {
		t.Parallel()
		_, st := newStore(t)
		ctx := testCtx(t)
		pre := mustAppend(t, st, eventstore.Pending{Event: member(t, "ana", "Ana")})

		k1, k2 := kudos(t, "ana"), kudos(t, "ana")
		m := member(t, "ben", "Ben")
		batch := []eventstore.Pending{
			{Event: k1, Expect: &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: 0}},
			// Expectations are checked against the stream before the
			// batch: k1 does not move ana's aggregate for k2.
			{Event: k2, Expect: &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: 0}},
			{Event: m, Expect: &eventstore.Expectation{Filter: event.MemberSubject(tenant, "ben", "upserted"), Seq: 0}},
		}
		got, err := st.AppendBatch(ctx, batch)
		if err != nil {
			t.Fatalf("AppendBatch: %v", err)
		}
		if len(got) != 3 {
			t.Fatalf("AppendBatch returned %d results, want 3", len(got))
		}
		for i, a := range got {
			if want := pre.Seq + 1 + uint64(i); a.Seq != want {
				t.Errorf("event %d at %d, want %d", i, a.Seq, want)
			}
			if a.ID != batch[i].Event.ID || a.Subject != subjectOf(t, batch[i].Event) {
				t.Errorf("event %d = %+v, want id %s on %s", i, a, batch[i].Event.ID, subjectOf(t, batch[i].Event))
			}
		}
		recs, last, err := st.Load(ctx, event.TenantFilter(tenant), pre.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(recs), envIDs(k1, k2, m)) || last != got[2].Seq {
			t.Errorf("Load = %v up to %d, want %v up to %d", ids(recs), last, envIDs(k1, k2, m), got[2].Seq)
		}
		for i, r := range recs {
			if r.Seq != got[i].Seq || r.Subject != got[i].Subject {
				t.Errorf("loaded %s at %d on %s, appended at %d on %s", r.ID, r.Seq, r.Subject, got[i].Seq, got[i].Subject)
			}
			if string(r.Data) != string(batch[i].Event.Data) || r.Type != batch[i].Event.Type {
				t.Errorf("loaded %s does not round-trip: %s %s", r.ID, r.Type, r.Data)
			}
		}
	})

	t.Run("empty batch", func(t *testing.T) {
		t.Parallel()
		_, st := newStore(t)
		got, err := st.AppendBatch(testCtx(t), nil)
		if err != nil || got != nil {
			t.Errorf("AppendBatch(nil) = %v, %v", got, err)
		}
	})

	// Each failing batch is three events with the fault at one position;
	// nothing of it may be stored, and the stream takes the next batch.
	faults := []struct {
		name    string
		wantErr error
		// fault returns the batch element at the faulty position.
		fault func(t *testing.T, st *eventstore.Store, stored event.Envelope, storedSeq uint64) eventstore.Pending
	}{
		{
			name:    "stale expectation",
			wantErr: eventstore.ErrConflict,
			fault: func(t *testing.T, _ *eventstore.Store, _ event.Envelope, _ uint64) eventstore.Pending {
				return eventstore.Pending{Event: kudos(t, "ana"), Expect: &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: 0}}
			},
		},
		{
			name:    "stale exact-subject expectation",
			wantErr: eventstore.ErrConflict,
			fault: func(t *testing.T, _ *eventstore.Store, _ event.Envelope, storedSeq uint64) eventstore.Pending {
				return eventstore.Pending{Event: member(t, "ana", "Ana B"), Expect: &eventstore.Expectation{Filter: event.MemberSubject(tenant, "ana", "upserted"), Seq: storedSeq + 1}}
			},
		},
		{
			name:    "id already stored",
			wantErr: eventstore.ErrDuplicate,
			fault: func(t *testing.T, _ *eventstore.Store, stored event.Envelope, _ uint64) eventstore.Pending {
				return eventstore.Pending{Event: stored}
			},
		},
	}
	for _, f := range faults {
		for pos := range 3 {
			t.Run(fmt.Sprintf("%s at %d", f.name, pos), func(t *testing.T) {
				t.Parallel()
				_, st := newStore(t)
				ctx := testCtx(t)
				stored := member(t, "ana", "Ana")
				a := mustAppend(t, st, eventstore.Pending{Event: stored})
				mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ana")})
				before := msgCount(t, st)

				batch := []eventstore.Pending{{Event: kudos(t, "ben")}, {Event: kudos(t, "cai")}, {Event: member(t, "dee", "Dee")}}
				batch[pos] = f.fault(t, st, stored, a.Seq)
				got, err := st.AppendBatch(ctx, batch)
				if !errors.Is(err, f.wantErr) {
					t.Fatalf("AppendBatch = %+v, %v; want %v", got, err, f.wantErr)
				}
				if after := msgCount(t, st); after != before {
					t.Fatalf("stream grew from %d to %d on a failed batch", before, after)
				}
				all, _, err := st.Load(ctx, event.StreamSubjects, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range batch {
					if p.Event.ID == stored.ID {
						continue
					}
					if slices.Contains(ids(all), p.Event.ID) {
						t.Errorf("event %s of the failed batch is stored", p.Event.ID)
					}
				}

				// The failed batch leaves nothing behind that blocks the next.
				again := []eventstore.Pending{{Event: kudos(t, "ben")}, {Event: kudos(t, "cai")}}
				ok, err := st.AppendBatch(ctx, again)
				if err != nil {
					t.Fatalf("batch after the failed one: %v", err)
				}
				if ok[0].Seq != before+1 || ok[1].Seq != before+2 {
					t.Errorf("batch after the failed one at %d, %d; want %d, %d", ok[0].Seq, ok[1].Seq, before+1, before+2)
				}
			})
		}
	}

	t.Run("same id twice in one batch", func(t *testing.T) {
		t.Parallel()
		_, st := newStore(t)
		k := kudos(t, "ana")
		_, err := st.AppendBatch(testCtx(t), []eventstore.Pending{{Event: k}, {Event: kudos(t, "ben")}, {Event: k}})
		if !errors.Is(err, eventstore.ErrDuplicate) {
			t.Fatalf("AppendBatch = %v, want ErrDuplicate", err)
		}
		if n := msgCount(t, st); n != 0 {
			t.Errorf("stream holds %d messages, want 0", n)
		}
	})

	t.Run("one event goes through Append", func(t *testing.T) {
		t.Parallel()
		_, st := newStore(t)
		k := kudos(t, "ana")
		got, err := st.AppendBatch(testCtx(t), []eventstore.Pending{{Event: k}})
		if err != nil || len(got) != 1 || got[0].Seq != 1 {
			t.Fatalf("AppendBatch = %+v, %v", got, err)
		}
		_, err = st.AppendBatch(testCtx(t), []eventstore.Pending{{Event: k}})
		var dup *eventstore.DuplicateError
		if !errors.As(err, &dup) || dup.Seq != 1 {
			t.Errorf("AppendBatch of a stored id = %v, want *DuplicateError at 1", err)
		}
	})
}

func TestLoad(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)

	// ana's aggregate interleaved with ben's and a member's events.
	k1 := kudos(t, "ana")
	a1 := mustAppend(t, st, eventstore.Pending{Event: k1})
	mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ben")})
	k2 := kudos(t, "ana")
	a2 := mustAppend(t, st, eventstore.Pending{Event: k2})
	mustAppend(t, st, eventstore.Pending{Event: member(t, "ana", "Ana")})
	r1 := retraction(t, k1)
	a3 := mustAppend(t, st, eventstore.Pending{Event: r1})
	mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ben")})

	// cai's aggregate is longer than one fetch, with others in between.
	var many []event.Envelope
	for range 3 {
		var batch []eventstore.Pending
		for i := range 200 {
			k := kudos(t, "cai")
			many = append(many, k)
			batch = append(batch, eventstore.Pending{Event: k})
			if i%50 == 0 {
				batch = append(batch, eventstore.Pending{Event: kudos(t, "dee")})
			}
		}
		if _, err := st.AppendBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	caiLast, err := st.Last(ctx, event.GiverFilter(tenant, "cai"))
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ben")})

	anna := event.GiverFilter(tenant, "ana")
	tests := []struct {
		name     string
		filter   string
		after    uint64
		wantIDs  []string
		wantLast uint64
	}{
		{name: "whole aggregate", filter: anna, after: 0, wantIDs: envIDs(k1, k2, r1), wantLast: a3.Seq},
		{name: "after the first", filter: anna, after: a1.Seq, wantIDs: envIDs(k2, r1), wantLast: a3.Seq},
		{name: "after a sequence between", filter: anna, after: a2.Seq + 1, wantIDs: envIDs(r1), wantLast: a3.Seq},
		{name: "after the last", filter: anna, after: a3.Seq, wantIDs: nil, wantLast: a3.Seq},
		{name: "after beyond the stream", filter: anna, after: 10_000, wantIDs: nil, wantLast: 10_000},
		{name: "exact subject", filter: subjectOf(t, k2), after: 0, wantIDs: envIDs(k1, k2), wantLast: a2.Seq},
		{name: "longer than a fetch", filter: event.GiverFilter(tenant, "cai"), after: 0, wantIDs: envIDs(many...), wantLast: caiLast.Seq},
		{name: "nothing matches", filter: event.GiverFilter(tenant, "nobody"), after: 0, wantIDs: nil, wantLast: 0},
		{name: "nothing matches, after kept", filter: event.GiverFilter(tenant, "nobody"), after: 7, wantIDs: nil, wantLast: 7},
		{name: "other tenant", filter: event.TenantFilter("globex"), after: 3, wantIDs: nil, wantLast: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, last, err := st.Load(ctx, tt.filter, tt.after)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := ids(recs); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("Load ids (%d) = %v..., want (%d) %v...", len(got), head(got), len(tt.wantIDs), head(tt.wantIDs))
			}
			if last != tt.wantLast {
				t.Errorf("Load last = %d, want %d", last, tt.wantLast)
			}
			if tt.wantIDs == nil && recs != nil {
				t.Errorf("Load = %v, want nil", recs)
			}
			for i, r := range recs {
				if r.Seq <= tt.after || (i > 0 && r.Seq <= recs[i-1].Seq) {
					t.Errorf("event %d at %d: not after %d and in order", i, r.Seq, tt.after)
				}
				if r.Subject != subjectOf(t, r.Envelope) {
					t.Errorf("event %s on %s, its envelope says %s", r.ID, r.Subject, subjectOf(t, r.Envelope))
				}
			}
		})
	}
}

func head(s []string) []string { return s[:min(len(s), 4)] }

func TestLast(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)
	k1 := kudos(t, "ana")
	mustAppend(t, st, eventstore.Pending{Event: k1})
	r1 := retraction(t, k1)
	ar := mustAppend(t, st, eventstore.Pending{Event: r1})
	ak := mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ben")})

	tests := []struct {
		name    string
		filter  string
		wantID  string
		wantSeq uint64
		wantErr error
	}{
		{name: "wildcard", filter: event.GiverFilter(tenant, "ana"), wantID: r1.ID, wantSeq: ar.Seq},
		{name: "tenant", filter: event.TenantFilter(tenant), wantID: ak.ID, wantSeq: ak.Seq},
		{name: "exact", filter: subjectOf(t, r1), wantID: r1.ID, wantSeq: ar.Seq},
		{name: "no match", filter: event.GiverFilter(tenant, "nobody"), wantErr: eventstore.ErrNotFound},
		{name: "no match exact", filter: event.MemberSubject(tenant, "ana", "upserted"), wantErr: eventstore.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := st.Last(ctx, tt.filter)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Last = %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Last: %v", err)
			}
			if got.ID != tt.wantID || got.Seq != tt.wantSeq {
				t.Errorf("Last = %s at %d, want %s at %d", got.ID, got.Seq, tt.wantID, tt.wantSeq)
			}
		})
	}
}

func TestLoadRejectsForeignMessages(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)
	// Something that is not an envelope on an event subject: loading
	// must report it rather than hand back a zero event.
	if _, err := st.JetStream().Publish(ctx, event.MemberSubject(tenant, "ana", "upserted"), []byte(`{"hello":"world"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Load(ctx, event.TenantFilter(tenant), 0); !errors.Is(err, event.ErrMalformed) {
		t.Errorf("Load = %v, want event.ErrMalformed", err)
	}
	if _, err := st.Last(ctx, event.TenantFilter(tenant)); !errors.Is(err, event.ErrMalformed) {
		t.Errorf("Last = %v, want event.ErrMalformed", err)
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	srv, st := newStore(t)
	mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ana")})
	srv.Shutdown()

	tests := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{name: "append", op: func(ctx context.Context) error {
			_, err := st.Append(ctx, eventstore.Pending{Event: kudos(t, "ana")})
			return err
		}},
		{name: "conditional append", op: func(ctx context.Context) error {
			_, err := st.Append(ctx, eventstore.Pending{Event: kudos(t, "ana"), Expect: &eventstore.Expectation{Filter: event.GiverFilter(tenant, "ana"), Seq: 1}})
			return err
		}},
		{name: "append batch", op: func(ctx context.Context) error {
			_, err := st.AppendBatch(ctx, []eventstore.Pending{{Event: kudos(t, "ana")}, {Event: kudos(t, "ben")}})
			return err
		}},
		{name: "last", op: func(ctx context.Context) error {
			_, err := st.Last(ctx, event.GiverFilter(tenant, "ana"))
			return err
		}},
		{name: "load", op: func(ctx context.Context) error {
			_, _, err := st.Load(ctx, event.GiverFilter(tenant, "ana"), 0)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := tt.op(ctx)
			if !errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("%s on a stopped server = %v, want ErrUnavailable", tt.name, err)
			}
			if errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrNotFound) {
				t.Errorf("%s: %v is also classified as a decision", tt.name, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s took %v to fail", tt.name, d)
			}
		})
	}
}

// TestEnvelopeRoundTrip checks that what Load returns is the envelope that
// was appended, attribute for attribute.
func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)
	k := kudos(t, "ana")
	mustAppend(t, st, eventstore.Pending{Event: k})
	recs, _, err := st.Load(ctx, event.GiverFilter(tenant, "ana"), 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Load = %v, %v", recs, err)
	}
	want, _ := json.Marshal(k)
	got, _ := json.Marshal(recs[0].Envelope)
	if string(got) != string(want) {
		t.Errorf("loaded envelope\n%s\nwant\n%s", got, want)
	}
}

// TestScanStopsAtUntil: a scan up to a sequence no matching message has
// (another subject's, or past the stream's end) takes the matching ones up
// to it and returns, instead of waiting for one.
func TestScanStopsAtUntil(t *testing.T) {
	t.Parallel()
	_, st := newStore(t)
	ctx := testCtx(t)
	a1 := mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ana")})
	b := mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ben")})
	a2 := mustAppend(t, st, eventstore.Pending{Event: kudos(t, "ana")})
	filter := []string{event.GiverFilter(tenant, "ana")}
	scan := func(after, until uint64) []uint64 {
		var got []uint64
		if err := st.Scan(ctx, filter, after, until, func(_ jetstream.Msg, seq uint64) error {
			got = append(got, seq)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := scan(0, b.Seq); !slices.Equal(got, []uint64{a1.Seq}) {
		t.Errorf("scan up to ben's event: %v, want [%d]", got, a1.Seq)
	}
	if got := scan(0, a2.Seq+100); !slices.Equal(got, []uint64{a1.Seq, a2.Seq}) {
		t.Errorf("scan past the end: %v, want [%d %d]", got, a1.Seq, a2.Seq)
	}
	if got := scan(a2.Seq, a2.Seq+100); len(got) != 0 {
		t.Errorf("scan after the last: %v", got)
	}
}
