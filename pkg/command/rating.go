package command

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Limits of a rating.
const (
	// MaxInteractionIDLen is the longest interaction id, in bytes.
	MaxInteractionIDLen = 128
	// MaxFutureSkew tolerates clocks of platforms running slightly ahead.
	MaxFutureSkew = 5 * time.Minute
	// MaxRatingAge refuses ratings of interactions older than this.
	MaxRatingAge = 366 * 24 * time.Hour
)

// RecordRating records a customer's rating of an agent.
type RecordRating struct {
	Tenant string
	event.RatingReceived
}

// RecordRating stores the rating once per (platform, interaction id), for as
// long as the stream keeps it. A platform re-sending the rating, minutes or
// months later, gets the original event back as a replay. Whether the
// interaction was rated is decided on the rating index, and the append is
// conditional on the interaction's shard being as the index knows it (see
// ratingIndex), so two processes storing one interaction at once store it
// once.
func (s *Service) RecordRating(ctx context.Context, c RecordRating) (Result, error) {
	if err := s.validateRating(c); err != nil {
		return Result{}, err
	}
	d := c.RatingReceived
	d.OccurredAt = d.OccurredAt.UTC()
	return s.onInteraction(ctx, c.Tenant, d.Platform, d.InteractionID, false, func(st *RatingState) (decision, error) {
		if st.Last != 0 {
			return decision{replay: Result{Events: []eventstore.Appended{st.First}, Replayed: true}}, nil
		}
		return appending(newEvent{id: ratingID(c.Tenant, d), data: d}), nil
	})
}

// ratingID is the id of the event recording a rating. It derives from the
// interaction, so even a re-send inside the duplicate window is recognised
// by JetStream itself.
func ratingID(tenant string, d event.RatingReceived) string {
	return eventID("rating\x00" + tenant + "\x00" + d.Platform + "\x00" + d.InteractionID)
}

// onInteraction decides a command on one rated interaction and appends
// what it decides, conditionally on the interaction's shard (see
// ratingIndex). The interaction's state is read through the index: the
// rating received (First) always, the current version and the withdrawal
// when full. A command that is not full (a rating received) is conditioned
// on the shard's ratings received only (see ratingIndex), one that is on
// all of the shard's events. A refusal is decided again once on the shard read anew from
// the stream; a conflict reads the shard's new events and decides again,
// at most maxAttempts times.
func (s *Service) onInteraction(ctx context.Context, tenant, platform, interactionID string, full bool,
	decide func(st *RatingState) (decision, error)) (Result, error) {
	x := s.ratings
	if err := x.load(ctx, s.store); err != nil {
		return Result{}, err
	}
	key := digest(interactionID)
	_, sh := x.shardOf(tenant, platform, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	read := false // whether the shard was read in this call
	for range maxAttempts {
		e, found, last, err := x.lookup(tenant, platform, key)
		if err != nil {
			return Result{}, err
		}
		st := &RatingState{}
		if found {
			if err := s.loadRating(ctx, e, full, st); err != nil {
				return Result{}, err
			}
		}
		d, err := decide(st)
		if err != nil && !read {
			if err := x.catchUp(ctx, s.store, sh); err != nil {
				return Result{}, err
			}
			read = true
			continue
		}
		if err != nil || len(d.events) == 0 {
			return d.replay, err
		}
		expect := eventstore.Expectation{Filter: sh.filter, Seq: last.all}
		if !full {
			expect = eventstore.Expectation{Filter: sh.received, Seq: last.received}
		}
		res, err := s.write(ctx, tenant, s.now(), d.events, &expect, x.observeData)
		if errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrDuplicate) {
			if err := x.catchUp(ctx, s.store, sh); err != nil {
				return Result{}, err
			}
			read = true
			continue
		}
		if err != nil {
			return Result{}, storeErr(err, nil)
		}
		return res, nil
	}
	return Result{}, exhausted("interaction_id", "the interaction's shard keeps changing; retry")
}

// loadRating reads the events of an interaction the index located: the
// rating received, and when full the current version and the withdrawal.
func (s *Service) loadRating(ctx context.Context, e ratingEntry, full bool, st *RatingState) error {
	seqs := []uint64{e.first}
	if full {
		seqs = seqs[:0]
		if e.version != e.first {
			seqs = append(seqs, e.first)
		}
		seqs = append(seqs, e.version)
		if e.last != e.version {
			seqs = append(seqs, e.last)
		}
	}
	for _, seq := range seqs {
		r, err := s.store.Get(ctx, seq)
		if err != nil {
			return storeErr(err, nil)
		}
		if _, err := foldRecord(st, r); err != nil {
			return fmt.Errorf("command: rating at %d: %w", seq, err)
		}
	}
	st.Last = e.last
	return nil
}

// validateRating checks a rating against what its schema cannot know or
// say: that the agent is a member, that the comment reads as text, and
// when the interaction happened, against the service's clock. Scale,
// score, channel, handle time and the comment's length are the schema's.
//
// The platform and the interaction id are checked here too, though the
// schema has them, because the event's subject (rating/<platform>/<id>)
// carries them: the schema then refuses two fields, and which of them it
// names is not fixed. Checked here, the field named is.
func (s *Service) validateRating(c RecordRating) error {
	d := c.RatingReceived
	if err := checkPlatform(d.Platform); err != nil {
		return err
	}
	if n := len(d.InteractionID); n == 0 || n > MaxInteractionIDLen {
		return invalid("interaction_id", "must be 1 to %d bytes", MaxInteractionIDLen)
	}
	for _, r := range d.InteractionID {
		// RuneError: a byte that is not UTF-8, or U+FFFD standing for
		// one, which the schema's pattern takes (it is a symbol).
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return invalid("interaction_id", "may not contain spaces, control characters or text that is not UTF-8")
		}
	}
	if _, ok := s.dir.Member(c.Tenant, d.Agent); !ok {
		return invalid("agent", "no member %q in this tenant", d.Agent)
	}
	if err := checkLines("comment", d.Comment); err != nil {
		return err
	}
	now := s.now()
	switch {
	case d.OccurredAt.IsZero():
		// The zero time is a valid date-time to the schema.
		return invalid("occurred_at", "is required (RFC 3339)")
	case d.OccurredAt.After(now.Add(MaxFutureSkew)):
		return invalid("occurred_at", "is in the future")
	case d.OccurredAt.Before(now.Add(-MaxRatingAge)):
		return invalid("occurred_at", "is more than a year ago")
	}
	return nil
}

// checkPlatform refuses a platform that is no id. A platform names the
// subjects of its ratings: one that is no id (a '*', a '.') must not reach
// a subject a command reads.
func checkPlatform(platform string) error {
	if !event.ValidID(platform) {
		return invalid("platform", "%q is not a valid platform id (lower-case letters, digits, '-' and '_', at most 64)", platform)
	}
	return nil
}
