package command

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// RatingState is one rated interaction as its own events tell it: the
// rating as it now stands, the event that made it so, and whether the
// platform withdrew it.
type RatingState struct {
	Rating event.RatingReceived
	// EventID and Seq are the event of the current version: the rating
	// received or its last correction (or the withdrawal).
	EventID   string
	EventType string
	Seq       uint64
	Withdrawn bool
	// Last is the interaction's last event: what a change is conditioned on.
	Last uint64
}

// loadRating folds the interaction's events; ok is false when it has none.
func (s *Service) loadRating(ctx context.Context, tenant, platform, interactionID string) (RatingState, bool, error) {
	recs, last, err := s.store.Load(ctx, event.RatingFilter(tenant, platform, interactionID), 0)
	if err != nil {
		return RatingState{}, false, storeErr(err)
	}
	var st RatingState
	for _, r := range recs {
		d, err := r.Decode()
		if err != nil {
			return RatingState{}, false, fmt.Errorf("command: rating at %d: %w", r.Seq, err)
		}
		switch e := d.(type) {
		case event.RatingReceived:
			st.Rating = e
		case event.RatingCorrected:
			st.Rating = e.Rating()
		case event.RatingWithdrawn:
			st.Withdrawn = true
		default:
			continue
		}
		st.EventID, st.EventType, st.Seq = r.ID, r.Type, r.Seq
	}
	st.Last = last
	return st, len(recs) > 0, nil
}

// CorrectRating replaces a rating the platform published.
type CorrectRating struct {
	Tenant string
	event.RatingCorrected
}

// CorrectRating appends the corrected rating, conditionally on the
// interaction's last event. A correction that changes nothing (the retry
// of one already made) is answered with the event that made the rating so.
// A withdrawn rating cannot be corrected.
func (s *Service) CorrectRating(ctx context.Context, c CorrectRating) (Result, error) {
	d := c.RatingCorrected
	d.Comment = strings.TrimSpace(d.Comment)
	d.Reason = strings.TrimSpace(d.Reason)
	d.OccurredAt = d.OccurredAt.UTC()
	if err := s.validateRating(RecordRating{Tenant: c.Tenant, RatingReceived: d.Rating()}); err != nil {
		return Result{}, err
	}
	if n := len([]rune(d.Reason)); n > 500 {
		return Result{}, invalid("reason", "is %d characters long; the limit is 500", n)
	}
	if err := checkLine("reason", d.Reason); err != nil {
		return Result{}, err
	}
	for range maxAttempts {
		st, ok, err := s.loadRating(ctx, c.Tenant, d.Platform, d.InteractionID)
		if err != nil {
			return Result{}, err
		}
		switch {
		case !ok:
			return Result{}, refuse(ErrNotFound, "interaction_id", "no rating of interaction %q on platform %q", d.InteractionID, d.Platform)
		case st.Withdrawn:
			return Result{}, refuse(ErrConflict, "interaction_id", "the rating of interaction %q was withdrawn; it cannot be corrected", d.InteractionID)
		case st.Rating == d.Rating():
			return replay(st.EventID, ratingSubjectOf(c.Tenant, st), st.Seq), nil
		}
		// The id names the correction and the version it corrects: a retry
		// is stored once, and two different corrections racing on one
		// version have different ids, so the loser meets the conditional
		// append (and decides again) rather than the winner's id.
		id := eventID(fmt.Sprintf("rating-correction\x00%s\x00%s\x00%s\x00%d\x00%+v", c.Tenant, d.Platform, d.InteractionID, st.Last, d))
		res, err := s.appendOne(ctx, c.Tenant, id, s.now(), d, &eventstore.Expectation{
			Filter: event.RatingFilter(c.Tenant, d.Platform, d.InteractionID), Seq: st.Last,
		})
		if errors.Is(err, eventstore.ErrConflict) {
			continue // the platform changed it meanwhile: decide again
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "interaction_id", "the rating keeps changing; retry")
}

// WithdrawRating withdraws a rating the platform published.
type WithdrawRating struct {
	Tenant        string
	Platform      string
	InteractionID string
	Reason        string
}

// WithdrawRating appends the withdrawal once: withdrawing again is
// answered with the first withdrawal.
func (s *Service) WithdrawRating(ctx context.Context, c WithdrawRating) (Result, error) {
	if !event.ValidID(c.Platform) {
		return Result{}, invalid("platform", "%q is not a valid platform id", c.Platform)
	}
	if n := len(c.InteractionID); n == 0 || n > MaxInteractionIDLen {
		return Result{}, invalid("interaction_id", "must be 1 to %d bytes", MaxInteractionIDLen)
	}
	reason := strings.TrimSpace(c.Reason)
	if n := len([]rune(reason)); n > 500 {
		return Result{}, invalid("reason", "is %d characters long; the limit is 500", n)
	}
	if err := checkLine("reason", reason); err != nil {
		return Result{}, err
	}
	for range maxAttempts {
		st, ok, err := s.loadRating(ctx, c.Tenant, c.Platform, c.InteractionID)
		if err != nil {
			return Result{}, err
		}
		switch {
		case !ok:
			return Result{}, refuse(ErrNotFound, "interaction_id", "no rating of interaction %q on platform %q", c.InteractionID, c.Platform)
		case st.Withdrawn:
			return replay(st.EventID, ratingSubjectOf(c.Tenant, st), st.Seq), nil
		}
		d := event.RatingWithdrawn{Platform: c.Platform, InteractionID: c.InteractionID, Agent: st.Rating.Agent, Reason: reason}
		id := eventID("rating-withdrawal\x00" + c.Tenant + "\x00" + c.Platform + "\x00" + c.InteractionID)
		res, err := s.appendOne(ctx, c.Tenant, id, s.now(), d, &eventstore.Expectation{
			Filter: event.RatingFilter(c.Tenant, c.Platform, c.InteractionID), Seq: st.Last,
		})
		if errors.Is(err, eventstore.ErrConflict) {
			continue
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "interaction_id", "the rating keeps changing; retry")
}

func ratingSubjectOf(tenant string, st RatingState) string {
	ev := "received"
	switch st.EventType {
	case event.TypeRatingCorrected:
		ev = "corrected"
	case event.TypeRatingWithdrawn:
		ev = "withdrawn"
	}
	return event.RatingSubject(tenant, st.Rating.Platform, st.Rating.InteractionID, ev)
}
