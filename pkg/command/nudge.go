package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Wants reports whether a member receives nudges of kind: never when the
// policy offers it Off; as the member chose when they chose; otherwise on
// only when the policy offers it OptOut.
func Wants(policy event.NudgePolicy, choices event.NudgeChoices, kind string) bool {
	offer := policy.Offer(kind)
	if offer == event.Off {
		return false
	}
	switch choices.Of(kind) {
	case event.ChoiceOn:
		return true
	case event.ChoiceOff:
		return false
	}
	return offer == event.OptOut
}

// QuietHoursOf are the member's quiet hours: their own, or the policy's.
func QuietHoursOf(policy event.NudgePolicy, prefs event.PreferencesSet) event.QuietHours {
	if prefs.QuietHours != nil {
		return *prefs.QuietHours
	}
	return policy.QuietHours
}

// QuietUntil reports whether now falls in the quiet hours q in loc, and
// when they end.
func QuietUntil(q event.QuietHours, now time.Time, loc *time.Location) (time.Time, bool) {
	start, end := clockMinutes(q.Start), clockMinutes(q.End)
	if start == end || start < 0 || end < 0 {
		return time.Time{}, false
	}
	local := now.In(loc)
	t := local.Hour()*60 + local.Minute()
	endOn := func(days int) time.Time {
		y, m, d := local.Date()
		return time.Date(y, m, d+days, end/60, end%60, 0, 0, loc).UTC()
	}
	switch {
	case start < end && t >= start && t < end:
		return endOn(0), true
	case start > end && t >= start:
		return endOn(1), true
	case start > end && t < end:
		return endOn(0), true
	}
	return time.Time{}, false
}

// clockMinutes turns "HH:MM" into minutes after midnight, -1 when invalid.
func clockMinutes(s string) int {
	if !event.ValidClock(s) {
		return -1
	}
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0')
}

// SetPreferences replaces a member's nudge preferences.
type SetPreferences struct {
	Tenant string
	event.PreferencesSet
	IDSeed string
}

// SetPreferences validates and appends the preferences; unchanged ones
// replay.
func (s *Service) SetPreferences(ctx context.Context, c SetPreferences) (Result, error) {
	d := c.PreferencesSet
	m, ok := s.dir.Member(c.Tenant, d.Member)
	if !event.ValidID(d.Member) || !ok || m.Left {
		return Result{}, refuse(ErrNotFound, "id", "no member %q in this tenant", d.Member)
	}
	for _, kind := range event.NudgeKinds {
		switch ch := d.Nudges.Of(kind); ch {
		case "", event.ChoiceOn, event.ChoiceOff:
		default:
			return Result{}, invalid("nudges."+kind, "must be %q or %q, or left out to follow the tenant's policy; got %q", event.ChoiceOn, event.ChoiceOff, ch)
		}
	}
	if q := d.QuietHours; q != nil {
		if !event.ValidClock(q.Start) {
			return Result{}, invalid("quiet_hours.start", "must be a time of day HH:MM (00:00 to 23:59), got %q", q.Start)
		}
		if !event.ValidClock(q.End) {
			return Result{}, invalid("quiet_hours.end", "must be a time of day HH:MM (00:00 to 23:59), got %q", q.End)
		}
	}
	if cur, ok := s.dir.Preferences(c.Tenant, d.Member); ok && prefsEqual(cur.PreferencesSet, d) {
		return replay(cur.EventID, event.MemberSubject(c.Tenant, d.Member, "preferences"), cur.Seq), nil
	}
	res, err := s.appendOne(ctx, c.Tenant, eventID(c.IDSeed), s.now(), d, nil)
	return res, storeErr(err)
}

func prefsEqual(a, b event.PreferencesSet) bool {
	if a.Member != b.Member || a.Nudges != b.Nudges || (a.QuietHours == nil) != (b.QuietHours == nil) {
		return false
	}
	return a.QuietHours == nil || *a.QuietHours == *b.QuietHours
}

// nudgeState caches one member's nudge aggregate: every nudge they were
// issued, and how far into the stream it reflects.
type nudgeState struct {
	mu     sync.Mutex
	seq    uint64
	nudges map[string]*Nudge
	perDay map[string]int
}

// Nudge is one nudge as its member's events tell it.
type Nudge struct {
	ID string
	event.NudgeIssued
	IssuedAt     time.Time
	IssuedSeq    uint64
	DeliveredAt  time.Time // zero until delivered
	Acknowledged bool
	Dismissed    bool
	Cancelled    string // why, once cancelled
	// SettledSeq is the sequence of the acknowledgement, dismissal or
	// cancellation.
	SettledSeq  uint64
	DeliveredSq uint64
}

func (s *Service) nudgeOf(tenant, member string) *nudgeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tenant + "\x00" + member
	st := s.nudges[k]
	if st == nil {
		st = &nudgeState{nudges: map[string]*Nudge{}, perDay: map[string]int{}}
		s.nudges[k] = st
	}
	return st
}

// catchUpNudges folds the member's nudge events appended since the state
// was last read. Call with st.mu held.
func (s *Service) catchUpNudges(ctx context.Context, tenant, member string, st *nudgeState) error {
	recs, seq, err := s.store.Load(ctx, event.NudgeFilter(tenant, member), st.seq)
	if err != nil {
		return storeErr(err)
	}
	for _, r := range recs {
		d, err := r.Decode()
		if err != nil {
			return fmt.Errorf("command: nudges of %s at %d: %w", member, r.Seq, err)
		}
		st.apply(r.ID, r.Time, r.Seq, d)
	}
	st.seq = seq
	return nil
}

func (st *nudgeState) apply(id string, at time.Time, seq uint64, d event.Data) {
	switch e := d.(type) {
	case event.NudgeIssued:
		if _, ok := st.nudges[id]; !ok {
			st.nudges[id] = &Nudge{ID: id, NudgeIssued: e, IssuedAt: at, IssuedSeq: seq}
			st.perDay[e.Day]++
			st.forgetDays(e.Day)
		}
	case event.NudgeDelivered:
		if n := st.nudges[e.NudgeID]; n != nil && n.DeliveredAt.IsZero() {
			n.DeliveredAt, n.DeliveredSq = at, seq
			n.settled()
		}
	case event.NudgeAcknowledged:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Acknowledged, n.SettledSeq = true, seq
			n.settled()
		}
	case event.NudgeDismissed:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Dismissed, n.SettledSeq = true, seq
			n.settled()
		}
	case event.NudgeCancelled:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Cancelled, n.SettledSeq = e.Reason, seq
			st.perDay[n.Day]-- // it never reached the member: the day has room again
			n.settled()
		}
	}
}

// settled drops what a nudge delivered or settled no longer needs: its id
// and outcome stay, to answer retries and keep its cause from nudging
// again.
func (n *Nudge) settled() { n.Message, n.About, n.Cause = "", "", nil }

// forgetDays keeps the daily counts of the days around the newest: a nudge
// is never issued for a day long gone.
func (st *nudgeState) forgetDays(newest string) {
	if len(st.perDay) <= 8 {
		return
	}
	cut := newest
	if t, err := time.Parse(time.DateOnly, newest); err == nil {
		cut = t.AddDate(0, 0, -3).Format(time.DateOnly)
	}
	for day := range st.perDay {
		if day < cut {
			delete(st.perDay, day)
		}
	}
}

// Why a nudge was not issued.
const (
	SkippedInactive  = "inactive"   // the member is unknown, inactive or gone
	SkippedNotWanted = "not_wanted" // the policy or the member's choice
	SkippedDailyCap  = "daily_cap"  // the member's day is full
	SkippedTooLate   = "too_late"   // it could be delivered only once it no longer matters
)

// DefaultNudgeLife is how long after its delivery time a nudge stays worth
// delivering, unless the command says otherwise: long enough for the
// engine's timers to come back after a restart, short enough that nobody is
// told about yesterday's call tomorrow.
const DefaultNudgeLife = 4 * time.Hour

// IssueNudge asks to nudge a member, for a cause.
type IssueNudge struct {
	Tenant  string
	Member  string
	Kind    string
	Reason  string
	Message string
	About   string
	Cause   *event.Cause
	// CauseKey names the cause: the same key never nudges the member
	// twice for the same kind.
	CauseKey string
	// Life is how long after its delivery time the nudge stays worth
	// delivering; NotAfter, when set, is when it ends at the latest. With
	// neither, it lives DefaultNudgeLife; with only NotAfter, until then.
	// A nudge that could only be delivered after it ends is skipped.
	Life     time.Duration
	NotAfter time.Time
}

// NudgeOutcome is what IssueNudge did: issued (Result), or Skipped and why.
type NudgeOutcome struct {
	Result
	Skipped string
}

// IssueNudge issues a nudge once per cause, if the tenant's policy and the
// member's preferences want its kind and the member's daily cap has room:
// at most DailyCap nudges count against one calendar day of the member,
// the day they are delivered on. A nudge due in the member's quiet hours
// is delivered when they end (the rules engine appends NudgeDelivered
// then); otherwise it is issued and delivered in one atomic batch. The
// append is conditional on the member's nudge aggregate, so racing rules
// engines can neither pass the cap nor nudge twice.
func (s *Service) IssueNudge(ctx context.Context, c IssueNudge) (NudgeOutcome, error) {
	if c.CauseKey == "" {
		return NudgeOutcome{}, invalid("cause", "a nudge needs a cause")
	}
	if n := utf8.RuneCountInString(c.Message); n == 0 || n > 500 {
		return NudgeOutcome{}, invalid("message", "must be 1 to 500 characters, got %d", n)
	}
	if err := checkLines("message", c.Message); err != nil {
		return NudgeOutcome{}, err
	}
	if !event.ValidID(c.Member) {
		return NudgeOutcome{}, invalid("member", "%q is not a valid member id", c.Member)
	}
	m, ok := s.dir.Member(c.Tenant, c.Member)
	switch {
	case !ok:
		// Members are never forgotten, only marked as left: one the
		// directory does not know yet is one it has not caught up with.
		return NudgeOutcome{}, fmt.Errorf("%w: the directory does not know member %q yet", ErrUnavailable, c.Member)
	case !m.Active:
		return NudgeOutcome{Skipped: SkippedInactive}, nil
	}
	policy := s.dir.Policy(c.Tenant).Nudges
	prefs, _ := s.dir.Preferences(c.Tenant, c.Member)
	if !Wants(policy, prefs.Nudges, c.Kind) {
		return NudgeOutcome{Skipped: SkippedNotWanted}, nil
	}
	id := eventID("nudge\x00" + c.Tenant + "\x00" + c.Member + "\x00" + c.Kind + "\x00" + c.CauseKey)
	issued := event.NudgeSubject(c.Tenant, c.Member, "issued")
	st := s.nudgeOf(c.Tenant, c.Member)
	st.mu.Lock()
	defer st.mu.Unlock()
	for range maxAttempts {
		if err := s.catchUpNudges(ctx, c.Tenant, c.Member, st); err != nil {
			return NudgeOutcome{}, err
		}
		if n := st.nudges[id]; n != nil {
			return NudgeOutcome{Result: replay(id, issued, n.IssuedSeq)}, nil
		}
		now := s.now().UTC()
		loc := m.Location()
		deliverAt, quiet := QuietUntil(QuietHoursOf(policy, prefs.PreferencesSet), now, loc)
		if !quiet {
			deliverAt = now
		}
		expires := c.NotAfter.UTC()
		if c.Life > 0 || c.NotAfter.IsZero() {
			life := c.Life
			if life <= 0 {
				life = DefaultNudgeLife
			}
			if e := deliverAt.Add(life); c.NotAfter.IsZero() || e.Before(expires) {
				expires = e
			}
		}
		if !expires.After(deliverAt) {
			return NudgeOutcome{Skipped: SkippedTooLate}, nil
		}
		day := deliverAt.In(loc).Format(time.DateOnly)
		if st.perDay[day] >= policy.DailyCap {
			return NudgeOutcome{Skipped: SkippedDailyCap}, nil
		}
		d := event.NudgeIssued{
			Member: c.Member, Kind: c.Kind, Reason: c.Reason, Message: c.Message, About: c.About,
			Cause: c.Cause, Day: day, DeliverAt: deliverAt, ExpiresAt: expires,
		}
		batch, err := s.nudgeBatch(c.Tenant, id, now, d, !quiet, st.seq)
		if err != nil {
			return NudgeOutcome{}, err
		}
		out, err := s.store.AppendBatch(ctx, batch)
		switch {
		case errors.Is(err, eventstore.ErrConflict), errors.Is(err, eventstore.ErrDuplicate):
			continue // another engine nudged the member meanwhile: decide again
		case err != nil:
			return NudgeOutcome{}, storeErr(err)
		}
		return NudgeOutcome{Result: Result{Events: out}}, nil
	}
	return NudgeOutcome{}, refuse(ErrConflict, "member", "the nudges of %q are busy; retry", c.Member)
}

// nudgeBatch is the nudge issued, and delivered with it when now is the
// time, conditional on the aggregate being at seq.
func (s *Service) nudgeBatch(tenant, id string, now time.Time, d event.NudgeIssued, deliver bool, seq uint64) ([]eventstore.Pending, error) {
	env, err := event.New(tenant, id, now, d)
	if err != nil {
		return nil, err
	}
	filter := event.NudgeFilter(tenant, d.Member)
	batch := []eventstore.Pending{{Event: env, Subject: event.NudgeSubject(tenant, d.Member, "issued"),
		Expect: &eventstore.Expectation{Filter: filter, Seq: seq}}}
	if deliver {
		del, err := event.New(tenant, deliveryID(id), now, delivered(id, d))
		if err != nil {
			return nil, err
		}
		batch = append(batch, eventstore.Pending{Event: del, Subject: event.NudgeSubject(tenant, d.Member, "delivered")})
	}
	return batch, nil
}

func deliveryID(nudgeID string) string { return eventID("nudge-delivered\x00" + nudgeID) }

func delivered(id string, d event.NudgeIssued) event.NudgeDelivered {
	return event.NudgeDelivered{NudgeID: id, Member: d.Member, Kind: d.Kind, Reason: d.Reason, Message: d.Message, About: d.About}
}

// DeliverNudge delivers a nudge that has fallen due: once.
type DeliverNudge struct {
	Tenant  string
	Member  string
	NudgeID string
}

// DeliverNudge appends the nudge's delivery once it is due at the service's
// clock and outside the member's quiet hours as they are now (they may
// have changed since it was issued), or cancels it instead when the member
// (or the member a gap nudge is about) has left or is inactive, the member
// or the tenant has turned its kind off, or it expired, also when the
// quiet hours now in force last past its expiry. A nudge delivered or
// cancelled before is answered with that event. Cancelled is the reason of
// a cancellation, "" for a delivery.
func (s *Service) DeliverNudge(ctx context.Context, c DeliverNudge) (res Result, cancelled string, err error) {
	res, err = s.changeNudge(ctx, c.Tenant, c.Member, func(now time.Time, n *Nudge) (Result, string, event.Data, error) {
		cancelled = ""
		switch {
		case n == nil:
			return Result{}, "", nil, refuse(ErrNotFound, "id", "no nudge %q for %q", c.NudgeID, c.Member)
		case !n.DeliveredAt.IsZero():
			return replay(deliveryID(n.ID), event.NudgeSubject(c.Tenant, c.Member, "delivered"), n.DeliveredSq), "", nil, nil
		case n.Cancelled != "":
			cancelled = n.Cancelled
			return replay(cancelID(n.ID), event.NudgeSubject(c.Tenant, c.Member, "cancelled"), n.SettledSeq), "", nil, nil
		case now.Before(n.DeliverAt):
			return Result{}, "", nil, refuse(ErrConflict, "id", "nudge %q is due at %s", n.ID, n.DeliverAt.Format(time.RFC3339))
		}
		why, quietUntil := s.cancelled(c.Tenant, n, now)
		if why != "" {
			cancelled = why
			return Result{}, cancelID(n.ID), event.NudgeCancelled{NudgeID: n.ID, Member: c.Member, Reason: why}, nil
		}
		if !quietUntil.IsZero() {
			return Result{}, "", nil, refuse(ErrConflict, "id", "nudge %q waits for %q's quiet hours to end at %s", n.ID, c.Member, quietUntil.Format(time.RFC3339))
		}
		return Result{}, deliveryID(n.ID), delivered(n.ID, n.NudgeIssued), nil
	}, c.NudgeID)
	return res, cancelled, err
}

// cancelled says why a nudge due now must not be delivered, or "", and
// until when it must wait for the member's quiet hours (zero: it need not).
func (s *Service) cancelled(tenant string, n *Nudge, now time.Time) (string, time.Time) {
	var member Member
	for _, id := range []string{n.Member, n.About} {
		if id == "" {
			continue
		}
		m, ok := s.dir.Member(tenant, id)
		if !ok || !m.Active {
			return event.CancelLeft, time.Time{}
		}
		if id == n.Member {
			member = m
		}
	}
	policy := s.dir.Policy(tenant).Nudges
	prefs, _ := s.dir.Preferences(tenant, n.Member)
	if !Wants(policy, prefs.Nudges, n.Kind) {
		return event.CancelNotWanted, time.Time{}
	}
	if !now.Before(n.ExpiresAt) {
		return event.CancelExpired, time.Time{}
	}
	if until, quiet := QuietUntil(QuietHoursOf(policy, prefs.PreferencesSet), now, member.Location()); quiet {
		if !until.Before(n.ExpiresAt) {
			return event.CancelExpired, time.Time{}
		}
		return "", until
	}
	return "", time.Time{}
}

func cancelID(nudgeID string) string { return eventID("nudge-cancelled\x00" + nudgeID) }

// SettleNudge acknowledges or dismisses a delivered nudge, as its member.
type SettleNudge struct {
	Tenant      string
	Member      string
	NudgeID     string
	Acknowledge bool // else dismiss
}

// SettleNudge appends the acknowledgement or dismissal once. Doing the same
// again replays it; doing the other is a conflict, as is settling a nudge
// not delivered yet.
func (s *Service) SettleNudge(ctx context.Context, c SettleNudge) (Result, error) {
	if !event.ValidID(c.Member) {
		return Result{}, invalid("member", "%q is not a valid member id", c.Member)
	}
	verb, what := "dismissed", "dismiss"
	if c.Acknowledge {
		verb, what = "acknowledged", "acknowledge"
	}
	return s.changeNudge(ctx, c.Tenant, c.Member, func(_ time.Time, n *Nudge) (Result, string, event.Data, error) {
		switch {
		case n == nil:
			return Result{}, "", nil, refuse(ErrNotFound, "id", "no nudge %q for %q", c.NudgeID, c.Member)
		case n.Cancelled != "":
			return Result{}, "", nil, refuse(ErrConflict, "id", "nudge %q was cancelled (%s); there is nothing to %s", n.ID, n.Cancelled, what)
		case n.SettledSeq != 0 && n.Acknowledged == c.Acknowledge:
			return replay(settleID(n.ID, c.Acknowledge), event.NudgeSubject(c.Tenant, c.Member, verb), n.SettledSeq), "", nil, nil
		case n.SettledSeq != 0:
			return Result{}, "", nil, refuse(ErrConflict, "id", "nudge %q is already %s; it cannot be %s too", n.ID,
				map[bool]string{true: "acknowledged", false: "dismissed"}[n.Acknowledged], verb)
		case n.DeliveredAt.IsZero():
			return Result{}, "", nil, refuse(ErrConflict, "id", "nudge %q is not delivered yet (due at %s); there is nothing to %s",
				n.ID, n.DeliverAt.Format(time.RFC3339), what)
		}
		if c.Acknowledge {
			return Result{}, settleID(n.ID, true), event.NudgeAcknowledged{NudgeID: n.ID, Member: c.Member}, nil
		}
		return Result{}, settleID(n.ID, false), event.NudgeDismissed{NudgeID: n.ID, Member: c.Member}, nil
	}, c.NudgeID)
}

// changeNudge decides on one of the member's nudges (nil when there is no
// such nudge) from their aggregate as it is now, and appends what decide
// returns (an id and its event) conditionally on the aggregate, deciding
// again when it moved. decide may instead return a result or an error,
// which end the command.
func (s *Service) changeNudge(ctx context.Context, tenant, member string,
	decide func(now time.Time, n *Nudge) (Result, string, event.Data, error), nudgeID string) (Result, error) {
	st := s.nudgeOf(tenant, member)
	st.mu.Lock()
	defer st.mu.Unlock()
	for range maxAttempts {
		if err := s.catchUpNudges(ctx, tenant, member, st); err != nil {
			return Result{}, err
		}
		now := s.now().UTC()
		res, id, d, err := decide(now, st.nudges[strings.ToLower(nudgeID)])
		if err != nil || d == nil {
			return res, err
		}
		res, err = s.appendOne(ctx, tenant, id, now, d, &eventstore.Expectation{Filter: event.NudgeFilter(tenant, member), Seq: st.seq})
		if errors.Is(err, eventstore.ErrConflict) {
			continue
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "id", "the nudges of %q are busy; retry", member)
}

// settleID differs for an acknowledgement and a dismissal: a nudge is
// settled once, whichever way, by the conditional append on the member's
// aggregate; were the ids the same, a dismissal racing an acknowledgement
// could meet the acknowledgement's id first and pass for its retry.
func settleID(nudgeID string, ack bool) string {
	if ack {
		return eventID("nudge-acknowledged\x00" + nudgeID)
	}
	return eventID("nudge-dismissed\x00" + nudgeID)
}
