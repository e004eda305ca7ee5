package command_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// sameShard returns n interaction ids whose ratings share one shard
// subject, so that commands on them contend on one conditional append.
func sameShard(prefix string, n int) []string {
	var ids []string
	shard := event.RatingShard(prefix + "-0")
	for i := 0; len(ids) < n; i++ {
		if id := fmt.Sprintf("%s-%d", prefix, i); event.RatingShard(id) == shard {
			ids = append(ids, id)
		}
	}
	return ids
}

// secondService is another engine's write side on h's stream: its own
// directory and rating index, so it knows only what it reads from the
// stream.
func (h *harness) secondService() *command.Service {
	h.t.Helper()
	dir := command.NewDirectory()
	runDirectory(h.t, dir, h.store)
	return command.NewService(h.store, dir, h.clock.Now)
}

func correctionOf(c command.RecordRating, score int) command.CorrectRating {
	r := c.RatingReceived
	return command.CorrectRating{Tenant: c.Tenant, RatingCorrected: event.RatingCorrected{
		Platform: r.Platform, InteractionID: r.InteractionID, Agent: r.Agent, Score: score, Scale: r.Scale,
		Channel: r.Channel, HandleTimeSeconds: r.HandleTimeSeconds, OccurredAt: r.OccurredAt, Reason: "typo"}}
}

// TestRatingRaceAcrossServices: many goroutines on two engines sharing the
// stream re-send the ratings of interactions that share a shard: each is
// stored once, and every answer names that one event.
func TestRatingRaceAcrossServices(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	svcs := []*command.Service{h.svc, h.secondService()}
	ids := append(sameShard("race", 6), "race-other")
	const senders = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		answers  = map[string]map[string]int{} // interaction -> event id -> answers
		fresh    = map[string]int{}
		failures []error
	)
	for _, svc := range svcs {
		for g := range senders {
			wg.Go(func() {
				for i := range ids {
					id := ids[(i+g)%len(ids)]
					res, err := svc.RecordRating(h.ctx(), rating(id, event.ScaleStars5, 1+g%5))
					mu.Lock()
					if err != nil {
						failures = append(failures, err)
					} else {
						if answers[id] == nil {
							answers[id] = map[string]int{}
						}
						answers[id][res.Events[0].ID]++
						if !res.Replayed {
							fresh[id]++
						}
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for _, err := range failures {
		t.Errorf("RecordRating: %v", err)
	}
	for _, id := range ids {
		if len(answers[id]) != 1 || fresh[id] != 1 {
			t.Errorf("interaction %s: answers %v, %d stored; want one event stored once", id, answers[id], fresh[id])
		}
		h.onlyRating(id)
	}
}

// TestRatingStaleIndex: an engine whose index predates what another engine
// stored finds those ratings: a re-send is a replay, a correction works, and
// a new rating on the moved shard is stored. JetStream has forgotten the
// event ids by then: only the conditional append on the shard tells.
func TestRatingStaleIndex(t *testing.T) {
	t.Parallel()
	h := newForgetfulHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	ids := sameShard("stale", 4)
	other := h.secondService()
	h.record(rating(ids[0], event.ScaleStars5, 5)) // h's index is loaded now

	first, err := other.RecordRating(h.ctx(), rating(ids[1], event.ScaleStars5, 4))
	if err != nil || first.Replayed {
		t.Fatalf("other engine's rating = %+v, %v", first, err)
	}
	h.waitPastDuplicateWindow()
	again, err := h.svc.RecordRating(h.ctx(), rating(ids[1], event.ScaleStars5, 2))
	if err != nil || !again.Replayed || again.Events[0] != first.Events[0] {
		t.Errorf("re-sent through a stale engine = %+v, %v; want a replay of %+v", again, err, first.Events[0])
	}
	// Stored through other; corrected through h, which has not read it.
	if _, err := other.RecordRating(h.ctx(), rating(ids[2], event.ScaleStars5, 3)); err != nil {
		t.Fatal(err)
	}
	if res, err := h.svc.CorrectRating(h.ctx(), correctionOf(rating(ids[2], event.ScaleStars5, 3), 4)); err != nil || res.Replayed {
		t.Errorf("correction through a stale engine = %+v, %v", res, err)
	}
	if _, err := other.RecordRating(h.ctx(), rating(ids[3], event.ScaleStars5, 3)); err != nil {
		t.Fatal(err)
	}
	if res, err := h.svc.WithdrawRating(h.ctx(), command.WithdrawRating{Tenant: acme, Platform: "genesys", InteractionID: ids[3]}); err != nil || res.Replayed {
		t.Errorf("withdrawal through a stale engine = %+v, %v", res, err)
	}
	h.record(rating("stale-new", event.ScaleStars5, 5))
	for _, id := range ids[:2] {
		h.onlyRating(id)
	}
}

// TestRatingLifecycleOnShards: corrections and withdrawals keep their
// meaning on shard subjects.
func TestRatingLifecycleOnShards(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	ids := sameShard("life", 2)
	r := rating(ids[0], event.ScaleStars5, 2)
	received := h.record(r)
	h.record(rating(ids[1], event.ScaleStars5, 5)) // a neighbour on the shard

	if want := event.RatingSubject(acme, "genesys", ids[0], "received"); received.Subject != want {
		t.Errorf("rating on %s, want %s", received.Subject, want)
	}
	corr, err := h.svc.CorrectRating(h.ctx(), correctionOf(r, 4))
	if err != nil || corr.Replayed || corr.Events[0].Subject != event.RatingSubject(acme, "genesys", ids[0], "corrected") {
		t.Fatalf("correction = %+v, %v", corr, err)
	}
	again, err := h.svc.CorrectRating(h.ctx(), correctionOf(r, 4))
	if err != nil || !again.Replayed || again.Events[0] != corr.Events[0] {
		t.Errorf("same correction again = %+v, %v; want a replay of %+v", again, err, corr.Events[0])
	}
	// The neighbour's correction does not touch this interaction.
	if _, err := h.svc.CorrectRating(h.ctx(), correctionOf(rating(ids[1], event.ScaleStars5, 5), 3)); err != nil {
		t.Fatal(err)
	}
	w, err := h.svc.WithdrawRating(h.ctx(), command.WithdrawRating{Tenant: acme, Platform: "genesys", InteractionID: ids[0]})
	if err != nil || w.Replayed {
		t.Fatalf("withdrawal = %+v, %v", w, err)
	}
	w2, err := h.svc.WithdrawRating(h.ctx(), command.WithdrawRating{Tenant: acme, Platform: "genesys", InteractionID: ids[0]})
	if err != nil || !w2.Replayed || w2.Events[0] != w.Events[0] {
		t.Errorf("second withdrawal = %+v, %v; want a replay of %+v", w2, err, w.Events[0])
	}
	before := h.msgs()
	res, err := h.svc.CorrectRating(h.ctx(), correctionOf(r, 5))
	wantRefusal(t, res, err, "", command.ErrConflict)
	res, err = h.svc.RecordRating(h.ctx(), r)
	if err != nil || !res.Replayed || res.Events[0] != received {
		t.Errorf("re-sent withdrawn rating = %+v, %v; want a replay of %+v", res, err, received)
	}
	res, err = h.svc.CorrectRating(h.ctx(), correctionOf(rating("life-unknown", event.ScaleStars5, 5), 3))
	wantRefusal(t, res, err, "", command.ErrNotFound)
	h.wantUnchanged(t, before)
	if n := len(interactionEvents(t, h.store, "genesys", ids[0])); n != 3 {
		t.Errorf("interaction holds %d events, want 3", n)
	}
}

// TestRatingMigration: a stream written before the shards, with a subject
// per interaction, keeps its ratings: re-sent ones are replays of the
// originals, corrections and withdrawals of them work and land on shards.
func TestRatingMigration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	ctx := h.ctx()
	old := func(d event.Data, id, interaction, ev string) eventstore.Appended {
		t.Helper()
		env, err := event.New(acme, id, ratingNow.Add(-time.Hour), d)
		if err != nil {
			t.Fatal(err)
		}
		a, err := h.store.Append(ctx, eventstore.Pending{Event: env, Subject: event.LegacyRatingSubject(acme, "genesys", interaction, ev)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	r1, r2, r3 := rating("old-1", event.ScaleStars5, 5), rating("old-2", event.ScaleStars5, 1), rating("old-3", event.ScaleStars5, 3)
	a1 := old(r1.RatingReceived, "00000000-0000-4000-8000-000000000001", "old-1", "received")
	old(r2.RatingReceived, "00000000-0000-4000-8000-000000000002", "old-2", "received")
	c2 := old(correctionOf(r2, 2).RatingCorrected, "00000000-0000-4000-8000-000000000003", "old-2", "corrected")
	old(r3.RatingReceived, "00000000-0000-4000-8000-000000000004", "old-3", "received")
	w3 := old(event.RatingWithdrawn{Platform: "genesys", InteractionID: "old-3", Agent: "ana"}, "00000000-0000-4000-8000-000000000005", "old-3", "withdrawn")
	// A rating on its shard without the Plaudit-Interaction header (written
	// by hand, say) is found by its data.
	r4 := rating("bare-4", event.ScaleStars5, 4)
	env4, err := event.New(acme, "00000000-0000-4000-8000-000000000006", ratingNow.Add(-time.Hour), r4.RatingReceived)
	if err != nil {
		t.Fatal(err)
	}
	a4, err := h.store.Append(ctx, eventstore.Pending{Event: env4, Subject: event.RatingSubject(acme, "genesys", "bare-4", "received")})
	if err != nil {
		t.Fatal(err)
	}

	before := h.msgs()
	for _, tt := range []struct {
		c    command.RecordRating
		want eventstore.Appended
	}{{r1, a1}, {r4, a4}, {rating("old-3", event.ScaleStars5, 1), eventstore.Appended{ID: "00000000-0000-4000-8000-000000000004", Subject: event.LegacyRatingSubject(acme, "genesys", "old-3", "received"), Seq: w3.Seq - 1}}} {
		res, err := h.svc.RecordRating(ctx, tt.c)
		if err != nil || !res.Replayed || res.Events[0] != tt.want {
			t.Errorf("re-sent old rating %s = %+v, %v; want a replay of %+v", tt.c.InteractionID, res, err, tt.want)
		}
	}
	res, err := h.svc.CorrectRating(ctx, correctionOf(r2, 2))
	if err != nil || !res.Replayed || res.Events[0] != c2 {
		t.Errorf("old correction again = %+v, %v; want a replay of %+v", res, err, c2)
	}
	res, err = h.svc.WithdrawRating(ctx, command.WithdrawRating{Tenant: acme, Platform: "genesys", InteractionID: "old-3"})
	if err != nil || !res.Replayed || res.Events[0] != w3 {
		t.Errorf("old withdrawal again = %+v, %v; want a replay of %+v", res, err, w3)
	}
	res, err = h.svc.CorrectRating(ctx, correctionOf(r3, 4))
	wantRefusal(t, res, err, "", command.ErrConflict)
	h.wantUnchanged(t, before)

	res, err = h.svc.CorrectRating(ctx, correctionOf(r1, 4))
	if err != nil || res.Replayed || res.Events[0].Subject != event.RatingSubject(acme, "genesys", "old-1", "corrected") {
		t.Fatalf("correction of an old rating = %+v, %v", res, err)
	}
	res, err = h.svc.CorrectRating(ctx, correctionOf(r1, 4))
	if err != nil || !res.Replayed {
		t.Errorf("that correction again = %+v, %v; want a replay", res, err)
	}
	if n := len(interactionEvents(t, h.store, "genesys", "old-1")); n != 2 {
		t.Errorf("old-1 holds %d events, want 2", n)
	}
	// A second engine started on the migrated stream knows it all too.
	other := h.secondService()
	res, err = other.RecordRating(ctx, r1)
	if err != nil || !res.Replayed || res.Events[0] != a1 {
		t.Errorf("re-sent old rating through a new engine = %+v, %v; want a replay of %+v", res, err, a1)
	}
	h.record(rating("new-1", event.ScaleStars5, 5))
}

// TestRecordRatingsRace: batches sharing interactions, sent at once through
// two engines alongside single ratings of the same interactions, store each
// interaction once; every answer names that one event.
func TestRecordRatingsRace(t *testing.T) {
	t.Parallel()
	h := newForgetfulHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	svcs := []*command.Service{h.svc, h.secondService()}
	ids := append(sameShard("batch", 30), "batch-a", "batch-b", "batch-c")
	batch := make([]event.RatingReceived, len(ids))
	for i, id := range ids {
		batch[i] = rating(id, event.ScaleStars5, 4).RatingReceived
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		answers  = map[string]map[string]int{}
		fresh    = map[string]int{}
		failures []error
	)
	note := func(id string, res command.Result, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", id, err))
			return
		}
		if answers[id] == nil {
			answers[id] = map[string]int{}
		}
		answers[id][res.Events[0].ID]++
		if !res.Replayed {
			fresh[id]++
		}
	}
	for round := range 2 {
		if round == 1 {
			// Past the duplicate window, only the shards' conditions tell.
			h.waitPastDuplicateWindow()
		}
		for _, svc := range svcs {
			for g := range 4 {
				wg.Go(func() {
					out, err := svc.RecordRatings(h.ctx(), acme, batch)
					if err != nil {
						mu.Lock()
						failures = append(failures, err)
						mu.Unlock()
						return
					}
					for i, o := range out {
						note(ids[i], o.Result, o.Err)
					}
				})
				wg.Go(func() {
					id := ids[g%len(ids)]
					res, err := svc.RecordRating(h.ctx(), rating(id, event.ScaleStars5, 4))
					note(id, res, err)
				})
			}
		}
		wg.Wait()
	}
	for _, err := range failures {
		t.Errorf("RecordRatings: %v", err)
	}
	for _, id := range ids {
		if len(answers[id]) != 1 || fresh[id] != 1 {
			t.Errorf("interaction %s: answers %v, %d stored; want one event stored once", id, answers[id], fresh[id])
		}
		h.onlyRating(id)
	}
}

// TestRecordRatingsOutcomes: a batch answers each rating in order: stored,
// stored before (by the batch or earlier), or refused naming the field.
func TestRecordRatingsOutcomes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	before := h.record(rating("out-0", event.ScaleStars5, 5))
	bad := rating("out-bad", event.ScaleStars5, 9).RatingReceived
	nobody := rating("out-nobody", event.ScaleStars5, 4).RatingReceived
	nobody.Agent = "zed"
	batch := []event.RatingReceived{
		rating("out-1", event.ScaleStars5, 5).RatingReceived,
		rating("out-0", event.ScaleStars5, 1).RatingReceived,
		bad,
		rating("out-1", event.ScaleStars5, 2).RatingReceived,
		nobody,
	}
	out, err := h.svc.RecordRatings(h.ctx(), acme, batch)
	if err != nil {
		t.Fatal(err)
	}
	if o := out[0]; o.Err != nil || o.Result.Replayed || o.Result.Events[0].Subject != event.RatingSubject(acme, "genesys", "out-1", "received") {
		t.Errorf("new rating: %+v", o)
	}
	if o := out[1]; o.Err != nil || !o.Result.Replayed || o.Result.Events[0] != before {
		t.Errorf("rating stored before: %+v, want a replay of %+v", o, before)
	}
	wantRefusal(t, out[2].Result, out[2].Err, "score", nil)
	if o := out[3]; o.Err != nil || !o.Result.Replayed || o.Result.Events[0] != out[0].Result.Events[0] {
		t.Errorf("repeat of the batch's first: %+v", o)
	}
	wantRefusal(t, out[4].Result, out[4].Err, "agent", nil)
	if _, err := h.svc.RecordRatings(h.ctx(), acme, make([]event.RatingReceived, command.MaxRatingBatch+1)); err == nil {
		t.Error("a batch over MaxRatingBatch was taken")
	}
}

// TestRecordRatingsStaleIndex: a batch sent through an engine whose index
// predates the ratings another engine stored, once JetStream has forgotten
// their ids, stores nothing: the conditions on the shards tell.
func TestRecordRatingsStaleIndex(t *testing.T) {
	t.Parallel()
	h := newForgetfulHarness(t, ratingNow)
	h.member("ana", "support", "Europe/Lisbon")
	other := h.secondService()
	if _, err := other.RecordRating(h.ctx(), rating("stale-batch-0", event.ScaleStars5, 5)); err != nil {
		t.Fatal(err) // other's index is loaded now
	}
	var batch []event.RatingReceived
	for _, id := range append(sameShard("stale-batch", 5), "stale-batch-x", "stale-batch-y") {
		batch = append(batch, rating(id, event.ScaleStars5, 3).RatingReceived)
	}
	first, err := h.svc.RecordRatings(h.ctx(), acme, batch)
	if err != nil {
		t.Fatal(err)
	}
	h.waitPastDuplicateWindow()
	before := h.msgs()
	again, err := other.RecordRatings(h.ctx(), acme, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		if again[i].Err != nil || !again[i].Result.Replayed || again[i].Result.Events[0] != first[i].Result.Events[0] {
			t.Errorf("%s through a stale engine: %+v, want a replay of %+v", batch[i].InteractionID, again[i], first[i])
		}
	}
	h.wantUnchanged(t, before)
}
