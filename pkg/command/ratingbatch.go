package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// MaxRatingBatch is the most ratings RecordRatings takes at once.
const MaxRatingBatch = 10_000

// RatingOutcome is what became of one rating of a batch: stored
// (Result.Replayed false), stored before (Result.Replayed, the original
// event), or refused (Err, a *ValidationError naming the field, or the
// store's error).
type RatingOutcome struct {
	Result Result
	Err    error
}

// RecordRatings records a batch of ratings of one tenant, each exactly as
// RecordRating would: once per (platform, interaction id), a re-sent one
// answered with the original, an invalid one refused naming its field.
// The outcomes are in the order of the ratings. A rating that repeats an
// earlier one of the batch is answered with that one's outcome.
//
// The ratings to store are appended one per shard at a time, the shards
// side by side (asynchronous appends on one connection, a goroutine per
// shard), each conditioned
// on the last sequence of its shard's ratings received as the rating
// index knows it (see ratingIndex): when another process appended on the
// shard meanwhile, the append fails, the shard is read anew and the rating
// is decided again. Shards are locked in order, so batches and single
// commands racing on them in this process wait for each other rather
// than conflict. Atomic batches would take fewer round trips, but nats-server
// stages each one in a file store of its own before it commits it, which
// costs more than it saves.
//
// It fails as a whole only when the rating index cannot be read; a rating
// the store fails to take is refused with the store's error, and sending
// it again is safe.
func (s *Service) RecordRatings(ctx context.Context, tenant string, ratings []event.RatingReceived) ([]RatingOutcome, error) {
	if len(ratings) > MaxRatingBatch {
		return nil, invalid("ratings", "a batch holds at most %d ratings, not %d", MaxRatingBatch, len(ratings))
	}
	out := make([]RatingOutcome, len(ratings))
	x := s.ratings
	if err := x.load(ctx, s.store); err != nil {
		return nil, err
	}
	// Validating and checking the ratings against their schema is most of
	// the CPU a batch costs: the next chunk is prepared while the one
	// before is appended.
	prepared := make(chan []*ratingItem, 1)
	go func() {
		defer close(prepared)
		for start := 0; start < len(ratings); start += prepareChunk {
			end := min(start+prepareChunk, len(ratings))
			prepared <- s.prepareRatings(tenant, ratings[start:end], out[start:end], start)
		}
	}()
	seen := map[ratingKey]*ratingItem{}
	var all, repeats []*ratingItem
	for items := range prepared {
		all = append(all, items...)
		repeats = s.storeRatings(ctx, tenant, items, seen, repeats)
	}
	s.replays(ctx, all)
	for _, it := range repeats {
		it.outcome = it.repeats.outcome
		if it.outcome.Err == nil {
			it.outcome.Result.Replayed = true
		}
	}
	for _, it := range all {
		out[it.index] = it.outcome
	}
	return out, nil
}

// prepareChunk is how many ratings of a batch are prepared at once.
const prepareChunk = 5000

// storeRatings stores the prepared ratings of one chunk of a batch that
// were not stored before, and returns repeats with the ratings that repeat
// one of the batch (seen) added.
func (s *Service) storeRatings(ctx context.Context, tenant string, items []*ratingItem, seen map[ratingKey]*ratingItem, repeats []*ratingItem) []*ratingItem {
	x := s.ratings
	// Each shard's ratings in batch order; a rating repeating one of the
	// batch waits for that one's outcome.
	type group struct {
		sk    shardKey
		sh    *ratingShard
		items []*ratingItem
	}
	groups := map[shardKey]*group{}
	for _, it := range items {
		sk, sh := x.shardOf(tenant, it.data.Platform, it.key)
		k := ratingKey{tp: sk.tp, key: it.key}
		if first := seen[k]; first != nil {
			it.repeats = first
			repeats = append(repeats, it)
			continue
		}
		seen[k] = it
		g := groups[sk]
		if g == nil {
			g = &group{sk: sk, sh: sh}
			groups[sk] = g
		}
		g.items = append(g.items, it)
	}
	ordered := make([]*group, 0, len(groups))
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	slices.SortFunc(ordered, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.sk.tp, b.sk.tp), cmp.Compare(a.sk.shard, b.sk.shard))
	})

	// Every shard at once, each in a goroutine of its own holding the
	// shard's lock (one lock each: no order to keep).
	var wg sync.WaitGroup
	for _, g := range ordered {
		wg.Go(func() { s.appendShard(ctx, tenant, g.sh, g.items) })
	}
	wg.Wait()
	return repeats
}

// appendShard stores the ratings of one shard not stored before, one
// after the other, each conditioned on the shard's ratings received as
// the index knows them; after a conflict it reads the shard and decides
// the rating again.
func (s *Service) appendShard(ctx context.Context, tenant string, sh *ratingShard, items []*ratingItem) {
	x := s.ratings
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, it := range items {
		it.outcome = RatingOutcome{Err: exhausted("interaction_id", "the interaction's shard keeps changing; retry")}
		for range maxAttempts {
			e, found, last, err := x.lookup(tenant, it.data.Platform, it.key)
			if err != nil {
				it.outcome.Err = err
				break
			}
			if found {
				it.first, it.outcome = e.first, RatingOutcome{}
				break
			}
			c := it.checked.WithExpect(&eventstore.Expectation{Filter: sh.received, Seq: last.received})
			out, err := s.store.AppendChecked(ctx, []eventstore.Checked{c})
			if errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrDuplicate) {
				// Another process appended on the shard: read it, and
				// decide the rating again.
				if err := x.catchUp(ctx, s.store, sh); err != nil {
					it.outcome.Err = err
					break
				}
				continue
			}
			if err != nil {
				it.outcome.Err = storeErr(err, nil)
				break
			}
			x.observe(tenant, it.data.Platform, it.key, ratingReceived, out[0].Seq, true)
			it.outcome = RatingOutcome{Result: Result{Events: out}}
			break
		}
	}
}

// ratingItem is one valid rating of a batch on its way.
type ratingItem struct {
	index   int
	data    event.RatingReceived
	key     [16]byte
	checked eventstore.Checked
	repeats *ratingItem // the earlier rating of the batch it repeats
	// first, when the rating was stored before, is the sequence of the
	// original, read into outcome by replays.
	first   uint64
	outcome RatingOutcome
}

// prepareRatings validates the ratings, on every CPU, and makes the events
// of the valid ones; the invalid ones' outcomes are set in out. The
// ratings are those of the batch from offset on.
func (s *Service) prepareRatings(tenant string, ratings []event.RatingReceived, out []RatingOutcome, offset int) []*ratingItem {
	all := make([]*ratingItem, len(ratings))
	at := s.now()
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ratings); i += workers {
				d := ratings[i]
				if err := s.validateRating(RecordRating{Tenant: tenant, RatingReceived: d}); err != nil {
					out[i].Err = err
					continue
				}
				d.OccurredAt = d.OccurredAt.UTC()
				p, err := pending(tenant, at, newEvent{id: ratingID(tenant, d), data: d}, nil)
				if err != nil {
					out[i].Err = err
					continue
				}
				// Checked once: AppendChecked does not check again.
				c, err := s.store.Check(p)
				if err != nil {
					out[i].Err = storeErr(err, nil)
					continue
				}
				all[i] = &ratingItem{index: offset + i, data: d, key: digest(d.InteractionID), checked: c}
			}
		})
	}
	wg.Wait()
	items := make([]*ratingItem, 0, len(ratings))
	for _, it := range all {
		if it != nil {
			items = append(items, it)
		}
	}
	return items
}

// replays reads the originals of the ratings stored before, a few at a
// time, into their outcomes.
func (s *Service) replays(ctx context.Context, items []*ratingItem) {
	work := make(chan *ratingItem)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for it := range work {
				r, err := s.store.Get(ctx, it.first)
				if err != nil {
					it.outcome.Err = storeErr(err, nil)
					continue
				}
				if r.Type != event.TypeRatingReceived {
					it.outcome.Err = fmt.Errorf("command: rating at %d is a %s", it.first, r.Type)
					continue
				}
				it.outcome.Result = replay(r.ID, r.Subject, r.Seq)
			}
		})
	}
	for _, it := range items {
		if it.first != 0 && it.outcome.Err == nil && it.repeats == nil {
			work <- it
		}
	}
	close(work)
	wg.Wait()
}
