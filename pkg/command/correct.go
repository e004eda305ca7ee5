package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// RatingState is one rated interaction as its own events tell it: the
// rating as it now stands, the event that made it so, and whether the
// platform withdrew it.
type RatingState struct {
	// First is the rating received: what a re-sent rating is answered with.
	First  eventstore.Appended
	Rating event.RatingReceived
	// EventID and Seq are the event of the current version: the rating
	// received or its last correction (or the withdrawal).
	EventID      string
	EventType    string
	EventSubject string
	Seq          uint64
	Withdrawn    bool
	// Last is the interaction's last event: what a change is conditioned
	// on; 0 when the interaction has none.
	Last uint64
}

func (st *RatingState) fold(r eventstore.Recorded, d event.Data) {
	st.Last = r.Seq
	switch e := d.(type) {
	case event.RatingReceived:
		st.Rating = e
		st.First = eventstore.Appended{ID: r.ID, Subject: r.Subject, Seq: r.Seq}
	case event.RatingCorrected:
		st.Rating = e.Rating()
	case event.RatingWithdrawn:
		st.Withdrawn = true
	default:
		return
	}
	st.EventID, st.EventType, st.EventSubject, st.Seq = r.ID, r.Type, r.Subject, r.Seq
}

// updateRating decides a change of a rated interaction on its events.
func (s *Service) updateRating(ctx context.Context, tenant, platform, interactionID string,
	decide func(st *RatingState) (decision, error)) (Result, error) {
	return s.onInteraction(ctx, tenant, platform, interactionID, true, decide)
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
	c.Comment = strings.TrimSpace(c.Comment)
	c.Reason = strings.TrimSpace(c.Reason)
	c.OccurredAt = c.OccurredAt.UTC()
	// The interaction's subject is made of the platform: it is checked
	// before its events are read.
	if err := s.validateRating(RecordRating{Tenant: c.Tenant, RatingReceived: c.Rating()}); err != nil {
		return Result{}, err
	}
	if err := checkLine("reason", c.Reason); err != nil {
		return Result{}, err
	}
	return s.updateRating(ctx, c.Tenant, c.Platform, c.InteractionID, func(st *RatingState) (decision, error) {
		return decideCorrect(st, c)
	})
}

// decideCorrect decides a correction on the interaction's state.
func decideCorrect(st *RatingState, c CorrectRating) (decision, error) {
	d := c.RatingCorrected
	switch {
	case st.Last == 0:
		return decision{}, refuse(ErrNotFound, "interaction_id", "no rating of interaction %q on platform %q", d.InteractionID, d.Platform)
	case st.Withdrawn:
		return decision{}, refuse(ErrConflict, "interaction_id", "the rating of interaction %q was withdrawn; it cannot be corrected", d.InteractionID)
	case st.Rating == d.Rating():
		return replaying(st.EventID, ratingSubjectOf(c.Tenant, st), st.Seq), nil
	}
	// The id names the correction and the version it corrects: a retry
	// is stored once, and two different corrections racing on one
	// version have different ids, so the loser meets the conditional
	// append (and decides again) rather than the winner's id.
	id := eventID(fmt.Sprintf("rating-correction\x00%s\x00%s\x00%s\x00%d\x00%+v", c.Tenant, d.Platform, d.InteractionID, st.Last, d))
	return appending(newEvent{id: id, data: d}), nil
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
	// The interaction's subject is made of the platform: it is checked
	// before its events are read. An interaction id that is none finds no
	// rating.
	if err := checkPlatform(c.Platform); err != nil {
		return Result{}, err
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if err := checkLine("reason", c.Reason); err != nil {
		return Result{}, err
	}
	return s.updateRating(ctx, c.Tenant, c.Platform, c.InteractionID, func(st *RatingState) (decision, error) {
		return decideWithdraw(st, c)
	})
}

// decideWithdraw decides a withdrawal on the interaction's state.
func decideWithdraw(st *RatingState, c WithdrawRating) (decision, error) {
	switch {
	case st.Last == 0:
		return decision{}, refuse(ErrNotFound, "interaction_id", "no rating of interaction %q on platform %q", c.InteractionID, c.Platform)
	case st.Withdrawn:
		return replaying(st.EventID, ratingSubjectOf(c.Tenant, st), st.Seq), nil
	}
	d := event.RatingWithdrawn{Platform: c.Platform, InteractionID: c.InteractionID, Agent: st.Rating.Agent, Reason: c.Reason}
	id := eventID("rating-withdrawal\x00" + c.Tenant + "\x00" + c.Platform + "\x00" + c.InteractionID)
	return appending(newEvent{id: id, data: d}), nil
}

// ratingSubjectOf is the subject of the interaction's current event: a
// shard's, or the interaction's own in a stream written before the shards.
func ratingSubjectOf(_ string, st *RatingState) string { return st.EventSubject }
