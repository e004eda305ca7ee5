package command

import (
	"context"
	"errors"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Limits of a rating.
const (
	MaxInteractionIDLen = 128
	MaxCommentLen       = 2000
	MaxHandleTime       = 24 * 60 * 60
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
// long as the stream keeps it: the append is conditional on the
// interaction's subject being empty. A platform re-sending the rating, minutes
// or months later, gets the original event back as a replay.
func (s *Service) RecordRating(ctx context.Context, c RecordRating) (Result, error) {
	if err := s.validateRating(c); err != nil {
		return Result{}, err
	}
	d := c.RatingReceived
	d.OccurredAt = d.OccurredAt.UTC()
	filter := event.RatingFilter(c.Tenant, d.Platform, d.InteractionID)
	// The id derives from the interaction, so even a re-send inside the
	// duplicate window is recognised by JetStream itself.
	id := eventID("rating\x00" + c.Tenant + "\x00" + d.Platform + "\x00" + d.InteractionID)
	res, err := s.appendOne(ctx, c.Tenant, id, s.now(), d, &eventstore.Expectation{Filter: filter, Seq: 0})
	if errors.Is(err, eventstore.ErrConflict) {
		first, err := s.store.Last(ctx, event.RatingSubject(c.Tenant, d.Platform, d.InteractionID, "received"))
		if err != nil {
			return Result{}, storeErr(err, nil)
		}
		return Result{Events: []eventstore.Appended{{ID: first.ID, Subject: first.Subject, Seq: first.Seq}}, Replayed: true}, nil
	}
	if err != nil {
		return Result{}, storeErr(err, nil)
	}
	return res, nil
}

func (s *Service) validateRating(c RecordRating) error {
	d := c.RatingReceived
	if err := checkPlatform(d.Platform); err != nil {
		return err
	}
	if n := len(d.InteractionID); n == 0 || n > MaxInteractionIDLen {
		return invalid("interaction_id", "must be 1 to %d bytes", MaxInteractionIDLen)
	}
	for _, r := range d.InteractionID {
		// RuneError: a byte that is not UTF-8, or U+FFFD standing for one.
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return invalid("interaction_id", "may not contain spaces, control characters or text that is not UTF-8")
		}
	}
	if !event.ValidID(d.Agent) {
		return invalid("agent", "%q is not a valid member id", d.Agent)
	}
	if _, ok := s.dir.Member(c.Tenant, d.Agent); !ok {
		return invalid("agent", "no member %q in this tenant", d.Agent)
	}
	lo, hi := 0, 0
	switch d.Scale {
	case event.ScaleStars5, event.ScaleCSAT5:
		lo, hi = 1, 5
	case event.ScaleNPS10:
		lo, hi = 0, 10
	default:
		return invalid("scale", "must be one of stars_5, csat_5, nps_10")
	}
	if d.Score < lo || d.Score > hi {
		return invalid("score", "must be between %d and %d on scale %s, got %d", lo, hi, d.Scale, d.Score)
	}
	if n := utf8.RuneCountInString(d.Comment); n > MaxCommentLen {
		return invalid("comment", "is %d characters long; the limit is %d", n, MaxCommentLen)
	}
	if err := checkLines("comment", d.Comment); err != nil {
		return err
	}
	switch d.Channel {
	case event.InteractionVoice, event.InteractionChat, event.InteractionEmail, event.InteractionOther:
	default:
		return invalid("channel", "must be one of voice, chat, email, other")
	}
	if d.HandleTimeSeconds < 0 || d.HandleTimeSeconds > MaxHandleTime {
		return invalid("handle_time_seconds", "must be between 0 and %d", MaxHandleTime)
	}
	now := s.now()
	switch {
	case d.OccurredAt.IsZero():
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
