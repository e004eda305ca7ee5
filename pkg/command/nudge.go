package command

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// SetPreferences appends the preferences of a member who has not left;
// unchanged ones replay. Which choices and quiet hours there are is the
// preferences_set schema's to say.
func (s *Service) SetPreferences(ctx context.Context, c SetPreferences) (Result, error) {
	if m, ok := s.dir.Member(c.Tenant, c.Member); !ok || m.Left {
		return Result{}, refuse(ErrNotFound, "id", "no member %q in this tenant", c.Member)
	}
	if cur, ok := s.dir.Preferences(c.Tenant, c.Member); ok && prefsEqual(cur.PreferencesSet, c.PreferencesSet) {
		return replay(cur.EventID, event.MemberSubject(c.Tenant, c.Member, "preferences"), cur.Seq), nil
	}
	return s.appendNew(ctx, c.Tenant, eventID(c.IDSeed), c.PreferencesSet, memberFields)
}

func prefsEqual(a, b event.PreferencesSet) bool {
	if a.Member != b.Member || a.Nudges != b.Nudges || (a.QuietHours == nil) != (b.QuietHours == nil) {
		return false
	}
	return a.QuietHours == nil || *a.QuietHours == *b.QuietHours
}

// nudgeState is the state of one member's nudge aggregate
// (event.NudgeFilter): every nudge they were issued, and how many count
// against each of their days.
type nudgeState struct {
	nudges map[string]*Nudge
	perDay map[string]int
}

func newNudgeState() *nudgeState {
	return &nudgeState{nudges: map[string]*Nudge{}, perDay: map[string]int{}}
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

// nudgeOf returns the cached nudge aggregate of a member.
func (s *Service) nudgeOf(tenant, member string) *cached[*nudgeState] {
	return cachedAggregate(s, s.nudges, tenant+"\x00"+member, event.NudgeFilter(tenant, member), newNudgeState)
}

// nudge is the member's nudge with id, nil when there is none.
func (st *nudgeState) nudge(id string) *Nudge { return st.nudges[strings.ToLower(id)] }

func (st *nudgeState) fold(r eventstore.Recorded, d event.Data) {
	switch e := d.(type) {
	case event.NudgeIssued:
		if _, ok := st.nudges[r.ID]; !ok {
			st.nudges[r.ID] = &Nudge{ID: r.ID, NudgeIssued: e, IssuedAt: r.Time, IssuedSeq: r.Seq}
			st.perDay[e.Day]++
			st.forgetDays(e.Day)
		}
	case event.NudgeDelivered:
		if n := st.nudges[e.NudgeID]; n != nil && n.DeliveredAt.IsZero() {
			n.DeliveredAt, n.DeliveredSq = r.Time, r.Seq
			n.settled()
		}
	case event.NudgeAcknowledged:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Acknowledged, n.SettledSeq = true, r.Seq
			n.settled()
		}
	case event.NudgeDismissed:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Dismissed, n.SettledSeq = true, r.Seq
			n.settled()
		}
	case event.NudgeCancelled:
		if n := st.nudges[e.NudgeID]; n != nil && n.SettledSeq == 0 {
			n.Cancelled, n.SettledSeq = e.Reason, r.Seq
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

// issueInputs is what deciding a nudge takes besides the member's nudges:
// its id, the member's time zone and quiet hours, and the daily cap.
type issueInputs struct {
	id       string
	loc      *time.Location
	quiet    event.QuietHours
	dailyCap int
}

// IssueNudge issues a nudge once per cause, if the tenant's policy and the
// member's preferences want its kind and the member's daily cap has room:
// at most DailyCap nudges count against one calendar day of the member,
// the day they are delivered on. A nudge due in the member's quiet hours
// is delivered when they end (the rules engine appends NudgeDelivered
// then); otherwise it is issued and delivered in one atomic batch. The
// append is conditional on the member's nudge aggregate, so racing rules
// engines can neither pass the cap nor nudge twice. The nudge_issued
// schema checks the kind, the reason and the message's length.
func (s *Service) IssueNudge(ctx context.Context, c IssueNudge) (NudgeOutcome, error) {
	if c.CauseKey == "" {
		return NudgeOutcome{}, invalid("cause", "a nudge needs a cause")
	}
	if err := checkLines("message", c.Message); err != nil {
		return NudgeOutcome{}, err
	}
	// A member the directory does not know is waited for (below); an id
	// that is no member id never will be, and must not reach a subject.
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
	in := issueInputs{
		id:  eventID("nudge\x00" + c.Tenant + "\x00" + c.Member + "\x00" + c.Kind + "\x00" + c.CauseKey),
		loc: m.Location(), quiet: QuietHoursOf(policy, prefs.PreferencesSet), dailyCap: policy.DailyCap,
	}
	skipped := ""
	n := s.nudgeOf(c.Tenant, c.Member)
	n.mu.Lock()
	defer n.mu.Unlock()
	res, err := update(ctx, s, c.Tenant, &n.aggregate, change[*nudgeState]{
		fresh: true, // the daily cap is decided on every nudge of the member
		decide: func(st *nudgeState, now time.Time) (decision, error) {
			d, why := decideIssue(st, c, in, now)
			skipped = why
			return d, nil
		},
		busy: func() error { return exhausted("member", "the nudges of %q are busy; retry", c.Member) },
	})
	return NudgeOutcome{Result: res, Skipped: skipped}, err
}

// decideIssue decides a nudge on the member's nudges at now: issued once
// per id, delivered now or when the member's quiet hours end, skipped when
// it would be delivered only after it ends or the day it would be
// delivered on is full.
func decideIssue(st *nudgeState, c IssueNudge, in issueInputs, now time.Time) (decision, string) {
	if n := st.nudges[in.id]; n != nil {
		return replaying(in.id, event.NudgeSubject(c.Tenant, c.Member, "issued"), n.IssuedSeq), ""
	}
	now = now.UTC()
	deliverAt, quiet := QuietUntil(in.quiet, now, in.loc)
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
		return decision{}, SkippedTooLate
	}
	day := deliverAt.In(in.loc).Format(time.DateOnly)
	if st.perDay[day] >= in.dailyCap {
		return decision{}, SkippedDailyCap
	}
	d := event.NudgeIssued{
		Member: c.Member, Kind: c.Kind, Reason: c.Reason, Message: c.Message, About: c.About,
		Cause: c.Cause, Day: day, DeliverAt: deliverAt, ExpiresAt: expires,
	}
	if quiet {
		return appending(newEvent{id: in.id, data: d}), ""
	}
	return appending(newEvent{id: in.id, data: d}, newEvent{id: deliveryID(in.id), data: delivered(in.id, d)}), ""
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

// deliveryInputs is what deciding a nudge's delivery takes from the
// directory, as it is now.
type deliveryInputs struct {
	// gone is set when the member, or the member a gap nudge is about,
	// left or is inactive.
	gone  bool
	wants bool // the tenant's policy and the member's choice want its kind
	quiet event.QuietHours
	loc   *time.Location // the member's
}

// deliveryInputs looks up what deciding the delivery of n takes.
func (s *Service) deliveryInputs(tenant string, n *Nudge) deliveryInputs {
	if n == nil {
		return deliveryInputs{}
	}
	in := deliveryInputs{loc: time.UTC}
	for _, id := range []string{n.Member, n.About} {
		if id == "" {
			continue
		}
		m, ok := s.dir.Member(tenant, id)
		if !ok || !m.Active {
			return deliveryInputs{gone: true}
		}
		if id == n.Member {
			in.loc = m.Location()
		}
	}
	policy := s.dir.Policy(tenant).Nudges
	prefs, _ := s.dir.Preferences(tenant, n.Member)
	in.wants = Wants(policy, prefs.Nudges, n.Kind)
	in.quiet = QuietHoursOf(policy, prefs.PreferencesSet)
	return in
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
	n := s.nudgeOf(c.Tenant, c.Member)
	n.mu.Lock()
	defer n.mu.Unlock()
	res, err = update(ctx, s, c.Tenant, &n.aggregate, change[*nudgeState]{
		fresh: true,
		decide: func(st *nudgeState, now time.Time) (decision, error) {
			d, why, err := decideDeliver(st, c, s.deliveryInputs(c.Tenant, st.nudge(c.NudgeID)), now)
			cancelled = why
			return d, err
		},
		busy: func() error { return exhausted("id", "the nudges of %q are busy; retry", c.Member) },
	})
	return res, cancelled, err
}

// decideDeliver decides a nudge's delivery on the member's nudges at now:
// delivered or cancelled once, not before it is due, and not in the
// member's quiet hours. cancelled is the reason of a cancellation.
func decideDeliver(st *nudgeState, c DeliverNudge, in deliveryInputs, now time.Time) (d decision, cancelled string, err error) {
	n := st.nudge(c.NudgeID)
	switch {
	case n == nil:
		return decision{}, "", refuse(ErrNotFound, "id", "no nudge %q for %q", c.NudgeID, c.Member)
	case !n.DeliveredAt.IsZero():
		return replaying(deliveryID(n.ID), event.NudgeSubject(c.Tenant, c.Member, "delivered"), n.DeliveredSq), "", nil
	case n.Cancelled != "":
		return replaying(cancelID(n.ID), event.NudgeSubject(c.Tenant, c.Member, "cancelled"), n.SettledSeq), n.Cancelled, nil
	case now.Before(n.DeliverAt):
		return decision{}, "", refuse(ErrConflict, "id", "nudge %q is due at %s", n.ID, n.DeliverAt.Format(time.RFC3339))
	}
	why, quietUntil := whyCancelled(n, in, now)
	switch {
	case why != "":
		return appending(newEvent{id: cancelID(n.ID), data: event.NudgeCancelled{NudgeID: n.ID, Member: c.Member, Reason: why}}), why, nil
	case !quietUntil.IsZero():
		return decision{}, "", refuse(ErrConflict, "id", "nudge %q waits for %q's quiet hours to end at %s", n.ID, c.Member, quietUntil.Format(time.RFC3339))
	}
	return appending(newEvent{id: deliveryID(n.ID), data: delivered(n.ID, n.NudgeIssued)}), "", nil
}

// whyCancelled says why a nudge due now must not be delivered, or "", and
// until when it must wait for the member's quiet hours (zero: it need not).
func whyCancelled(n *Nudge, in deliveryInputs, now time.Time) (string, time.Time) {
	switch {
	case in.gone:
		return event.CancelLeft, time.Time{}
	case !in.wants:
		return event.CancelNotWanted, time.Time{}
	case !now.Before(n.ExpiresAt):
		return event.CancelExpired, time.Time{}
	}
	if until, quiet := QuietUntil(in.quiet, now, in.loc); quiet {
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
	// The member names the subjects read: one that is no id (a '*') must
	// not reach them.
	if !event.ValidID(c.Member) {
		return Result{}, invalid("member", "%q is not a valid member id", c.Member)
	}
	n := s.nudgeOf(c.Tenant, c.Member)
	n.mu.Lock()
	defer n.mu.Unlock()
	return update(ctx, s, c.Tenant, &n.aggregate, change[*nudgeState]{
		fresh:  true,
		decide: func(st *nudgeState, _ time.Time) (decision, error) { return decideSettle(st, c) },
		busy:   func() error { return exhausted("id", "the nudges of %q are busy; retry", c.Member) },
	})
}

// decideSettle decides an acknowledgement or dismissal on the member's
// nudges: a nudge is settled once, whichever way, and only once delivered.
func decideSettle(st *nudgeState, c SettleNudge) (decision, error) {
	verb, what := "dismissed", "dismiss"
	if c.Acknowledge {
		verb, what = "acknowledged", "acknowledge"
	}
	n := st.nudge(c.NudgeID)
	switch {
	case n == nil:
		return decision{}, refuse(ErrNotFound, "id", "no nudge %q for %q", c.NudgeID, c.Member)
	case n.Cancelled != "":
		return decision{}, refuse(ErrConflict, "id", "nudge %q was cancelled (%s); there is nothing to %s", n.ID, n.Cancelled, what)
	case n.SettledSeq != 0 && n.Acknowledged == c.Acknowledge:
		return replaying(settleID(n.ID, c.Acknowledge), event.NudgeSubject(c.Tenant, c.Member, verb), n.SettledSeq), nil
	case n.SettledSeq != 0:
		return decision{}, refuse(ErrConflict, "id", "nudge %q is already %s; it cannot be %s too", n.ID,
			map[bool]string{true: "acknowledged", false: "dismissed"}[n.Acknowledged], verb)
	case n.DeliveredAt.IsZero():
		return decision{}, refuse(ErrConflict, "id", "nudge %q is not delivered yet (due at %s); there is nothing to %s",
			n.ID, n.DeliverAt.Format(time.RFC3339), what)
	}
	if c.Acknowledge {
		return appending(newEvent{id: settleID(n.ID, true), data: event.NudgeAcknowledged{NudgeID: n.ID, Member: c.Member}}), nil
	}
	return appending(newEvent{id: settleID(n.ID, false), data: event.NudgeDismissed{NudgeID: n.ID, Member: c.Member}}), nil
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
