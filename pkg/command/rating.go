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
