package command

import (
	"context"
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
	// RatingID is the id of the event that made the rating what it is
	// (received, or corrected): the kudos's cause, and the seed of its id.
	RatingID string
	// CauseType is that event's type; empty means rating received.
	CauseType string
	// Threshold is the tenant's rules.rating_kudos as of the rating; nil
	// takes the tenant's policy now.
	Threshold *event.Scores
	// Time is when the rating (or its correction) was stored.
	Time time.Time
	event.RatingReceived
}

// RatingKudosMaxAge bounds how old a rating may be, when the rules engine
// comes to it, to earn kudos it has not earned yet: a rules engine catching
// up after a day's outage still gives them, and a new replica reading the
// whole stream does not hand out kudos for ratings of months ago, say of
// an agent who was away then and is back now.
const RatingKudosMaxAge = 7 * 24 * time.Hour

// Qualifies reports whether a rating reaches its scale's threshold in at
// (the defaults: 5 of 5 stars, 9 or 10 on NPS, 5 of 5 on CSAT). Lower
// ratings never become anything public.
func Qualifies(r event.RatingReceived, at event.Scores) bool {
	least, ok := at.Of(r.Scale)
	return ok && r.Score >= least
}

// RatingKudosID is the id of the kudos the rating event ratingID earns.
func RatingKudosID(tenant, ratingID string) string {
	return eventID("rating-kudos\x00" + tenant + "\x00" + ratingID)
}

// SystemGiverPrefix starts the ids of system givers, which no member id may
// start with.
const SystemGiverPrefix = "customer-"

// CustomerGiver is the system giver of a platform's customers: a giver that
// is no member and spends no allowance.
func CustomerGiver(platform string) string { return SystemGiverPrefix + platform }

// ruleFields names RecognizeRating's fields for kudos_given's: the giver
// is the platform's customers.
var ruleFields = fieldNames{"giver": "platform", "recipients": "agent"}

// RecognizeRating gives the kudos a qualifying rating earns, once: its id
// derives from the rating's, and it is appended only if no kudos with that
// id is in the stream, conditionally on the customer giver's last kudos, so
// a redelivered rating, a replay of the whole stream or two rules engines
// racing store it once. A rating that does not qualify, or whose agent is no
// longer an active member, gives nothing (an empty Result).
func (s *Service) RecognizeRating(ctx context.Context, c RecognizeRating) (Result, error) {
	threshold := s.dir.Policy(c.Tenant).Rules.RatingKudos
	if c.Threshold != nil {
		threshold = *c.Threshold
	}
	if !Qualifies(c.RatingReceived, threshold) {
		return Result{}, nil
	}
	if c.CauseType == "" {
		c.CauseType = event.TypeRatingReceived
	}
	// What was given before is answered first: a replay must find it
	// whatever the agent's state now.
	id := RatingKudosID(c.Tenant, c.RatingID)
	if ref, ok, err := s.dir.kudos.find(ctx, s.store, c.Tenant, id); err != nil {
		return Result{}, storeErr(err, nil)
	} else if ok {
		return replay(id, event.KudosSubject(c.Tenant, ref.giver, "given"), ref.seq), nil
	}
	if !event.ValidID(c.Agent) {
		return Result{}, nil
	}
	switch m, ok := s.dir.Member(c.Tenant, c.Agent); {
	case !ok:
		// A rating names a member the write side knew: a directory that
		// does not know them yet has not caught up (a rules engine running
		// alone tails it beside its own consumer).
		return Result{}, fmt.Errorf("%w: the directory does not know agent %q yet", ErrUnavailable, c.Agent)
	case !m.Active:
		return Result{}, nil
	}
	if !c.Time.IsZero() && s.now().Sub(c.Time) > RatingKudosMaxAge {
		return Result{}, nil // too old to be news: see RatingKudosMaxAge
	}
	// The customers' kudos are many and need no allowance: the aggregate
	// is read from its last sequence on, not folded from its first event.
	// What came before, the index answered above; what comes while this is
	// decided meets the conditional append, and is read then.
	a := &aggregate[kudosSeen]{filter: event.KudosSubject(c.Tenant, CustomerGiver(c.Platform), "given"), state: kudosSeen{}}
	last, err := s.store.LastSeq(ctx, a.filter)
	if err != nil {
		return Result{}, storeErr(err, nil)
	}
	a.seq, a.loaded = last, true
	return update(ctx, s, c.Tenant, a, change[kudosSeen]{
		decide: func(st kudosSeen, now time.Time) (decision, error) { return decideRecognize(st, c, id, now), nil },
		fields: ruleFields,
		busy:   func() error { return exhausted("agent", "the customers of %q are busy; retry", c.Platform) },
	})
}

// kudosSeen is the state RecognizeRating decides on: the kudos given on the
// customers' subject since it was first read, by id.
type kudosSeen map[string]eventstore.Appended

func (st kudosSeen) fold(r eventstore.Recorded, d event.Data) {
	if _, ok := d.(event.KudosGiven); ok {
		st[r.ID] = eventstore.Appended{ID: r.ID, Subject: r.Subject, Seq: r.Seq}
	}
}

// decideRecognize decides the kudos id that rating c earns, on the kudos
// given by the customers since: another rules engine may have given it
// first.
func decideRecognize(st kudosSeen, c RecognizeRating, id string, now time.Time) decision {
	if r, ok := st[id]; ok {
		return replaying(r.ID, r.Subject, r.Seq)
	}
	return appending(newEvent{id: id, data: event.KudosGiven{
		Giver: CustomerGiver(c.Platform), Recipients: []string{c.Agent}, Message: ratingMessage(c.RatingReceived),
		Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelRule,
		Cause:  &event.Cause{EventID: c.RatingID, Type: c.CauseType},
		Period: PeriodAt(event.PeriodDay, now, time.UTC).Key, Spent: 0,
	}})
}

// KudosLive reports whether a kudos is in the stream and not retracted.
func (s *Service) KudosLive(ctx context.Context, tenant, kudosID string) (bool, error) {
	ref, ok, err := s.dir.kudos.find(ctx, s.store, tenant, kudosID)
	if err != nil {
		return false, storeErr(err, nil)
	}
	return ok && ref.retractID == "", nil
}

// RatingKudosHeld reports whether the kudos the rating event ratingID
// earned is in the stream and not retracted: what a rules engine
// rebuilding its state reads instead of acting.
func (s *Service) RatingKudosHeld(ctx context.Context, tenant, ratingID string) (string, bool, error) {
	id := RatingKudosID(tenant, ratingID)
	live, err := s.KudosLive(ctx, tenant, id)
	return id, live, err
}

// RetractRatingKudos takes back the kudos a rating earned, in the name of
// the platform's customers, once a correction or withdrawal means the
// rating no longer earns it.
type RetractRatingKudos struct {
	Tenant   string
	KudosID  string
	Platform string
	Reason   string
}

// RetractRatingKudos retracts the kudos once. A kudos not in the stream, or
// retracted already (by an admin, say), needs nothing: an empty Result.
func (s *Service) RetractRatingKudos(ctx context.Context, c RetractRatingKudos) (Result, error) {
	id := eventID("rating-retraction\x00" + c.Tenant + "\x00" + c.KudosID)
	ref, ok, err := s.dir.kudos.find(ctx, s.store, c.Tenant, c.KudosID)
	switch {
	case err != nil:
		return Result{}, storeErr(err, nil)
	case !ok:
		return Result{}, nil
	case ref.retractID != "" && ref.retractID != id:
		return Result{}, nil
	}
	return s.RetractKudos(ctx, RetractKudos{
		Tenant: c.Tenant, KudosID: c.KudosID, By: CustomerGiver(c.Platform), ByRole: event.ByGiver,
		Reason: c.Reason, IDSeed: "rating-retraction\x00" + c.Tenant + "\x00" + c.KudosID,
	})
}

// maxQuote bounds the customer's words quoted in the message.
const maxQuote = 1800

// ratingMessage says what the customer said: their comment, quoted, when
// there is one and it is text a message may hold. A comment stored before
// RecordRating checked comments, or one cut through an emoji at maxQuote,
// is left out rather than cleaned.
func ratingMessage(r event.RatingReceived) string {
	what := fmt.Sprintf("A customer rated your %s %d of %d", InteractionWord(r.Channel), r.Score, scaleMax(r.Scale))
	comment := strings.TrimSpace(r.Comment)
	if utf8.RuneCountInString(comment) > maxQuote {
		comment = string([]rune(comment)[:maxQuote]) + "…"
	}
	if comment == "" || checkLines("message", comment) != nil {
		return what + "."
	}
	return what + ": “" + comment + "”"
}

// InteractionWord names an interaction of channel in a message: "call",
// "chat", "email" or "conversation".
func InteractionWord(channel string) string {
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
