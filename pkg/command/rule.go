package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// RecognizeRating turns a customer's rating of an agent into recognition:
// kudos to the agent from the customer identity of the rating's platform.
type RecognizeRating struct {
	Tenant string
	// RatingID is the rating event's id: the kudos's cause, and the seed
	// of its id.
	RatingID string
	event.RatingReceived
}

// Qualifies reports whether a rating reaches the default threshold of its
// scale: 5 of 5 stars, 9 or 10 on NPS, 5 of 5 on CSAT. Lower ratings never
// become anything public.
func Qualifies(r event.RatingReceived) bool {
	switch r.Scale {
	case event.ScaleStars5, event.ScaleCSAT5:
		return r.Score >= 5
	case event.ScaleNPS10:
		return r.Score >= 9
	}
	return false
}

// SystemGiverPrefix starts the ids of system givers, which no member id may
// start with.
const SystemGiverPrefix = "customer-"

// CustomerGiver is the system giver of a platform's customers: a giver that
// is no member and spends no allowance.
func CustomerGiver(platform string) string { return SystemGiverPrefix + platform }

// RecognizeRating gives the kudos a qualifying rating earns, once: its id
// derives from the rating's, and it is appended only if no kudos with that
// id is in the stream, conditionally on the customer giver's last kudos, so
// a redelivered rating, a replay of the whole stream or two rules engines
// racing store it once. A rating that does not qualify, or whose agent is no
// longer an active member, gives nothing (an empty Result).
func (s *Service) RecognizeRating(ctx context.Context, c RecognizeRating) (Result, error) {
	if !Qualifies(c.RatingReceived) {
		return Result{}, nil
	}
	if _, err := s.activeMember(c.Tenant, c.Agent, "agent"); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return Result{}, nil
		}
		return Result{}, err
	}
	giver := CustomerGiver(c.Platform)
	if !event.ValidID(giver) {
		return Result{}, invalid("platform", "%q makes no valid giver id", c.Platform)
	}
	id := eventID("rating-kudos\x00" + c.Tenant + "\x00" + c.RatingID)
	given := event.KudosSubject(c.Tenant, giver, "given")
	for range maxAttempts {
		if ref, ok, err := s.dir.kudos.find(ctx, s.store, c.Tenant, id); err != nil {
			return Result{}, storeErr(err)
		} else if ok {
			return replay(id, event.KudosSubject(c.Tenant, ref.giver, "given"), ref.seq), nil
		}
		last, err := s.store.LastSeq(ctx, given)
		if err != nil {
			return Result{}, storeErr(err)
		}
		now := s.now()
		data := event.KudosGiven{
			Giver: giver, Recipients: []string{c.Agent}, Message: ratingMessage(c.RatingReceived),
			Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelRule,
			Cause:  &event.Cause{EventID: c.RatingID, Type: event.TypeRatingReceived},
			Period: PeriodAt(event.PeriodDay, now, time.UTC).Key, Spent: 0,
		}
		res, err := s.appendOne(ctx, c.Tenant, id, now, data, &eventstore.Expectation{Filter: given, Seq: last})
		if errors.Is(err, eventstore.ErrConflict) {
			continue // another kudos of this platform's customers came first
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "agent", "the customers of %q are busy; retry", c.Platform)
}

// maxQuote bounds the customer's words quoted in the message.
const maxQuote = 1800

// ratingMessage says what the customer said: their comment, quoted, when
// there is one.
func ratingMessage(r event.RatingReceived) string {
	what := fmt.Sprintf("A customer rated your %s %d of %d", interaction(r.Channel), r.Score, scaleMax(r.Scale))
	comment := strings.TrimSpace(r.Comment)
	if comment == "" {
		return what + "."
	}
	if utf8.RuneCountInString(comment) > maxQuote {
		comment = string([]rune(comment)[:maxQuote]) + "…"
	}
	return what + ": “" + comment + "”"
}

func interaction(channel string) string {
	switch channel {
	case event.InteractionVoice:
		return "call"
	case event.InteractionChat:
		return "chat"
	case event.InteractionEmail:
		return "email"
	}
	return "conversation"
}

func scaleMax(scale string) int {
	if scale == event.ScaleNPS10 {
		return 10
	}
	return 5
}
