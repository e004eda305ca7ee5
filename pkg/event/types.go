package event

import "time"

// Event types, one per type and version. The names are part of the public
// contract; a new shape is a new version, upcast when read.
const (
	TypeKudosGiven       = "plaudit.recognition.kudos_given.v1"
	TypeReactionAdded    = "plaudit.recognition.reaction_added.v1"
	TypeKudosRetracted   = "plaudit.recognition.kudos_retracted.v1"
	TypeRatingReceived   = "plaudit.feedback.rating_received.v1"
	TypeMemberUpserted   = "plaudit.directory.member_upserted.v2"
	TypeMemberUpsertedV1 = "plaudit.directory.member_upserted.v1"
	TypeMemberLeft       = "plaudit.directory.member_left.v1"
	TypePolicySet        = "plaudit.policy.tenant_policy_set.v2"
	TypePolicySetV1      = "plaudit.policy.tenant_policy_set.v1"
	TypeAllowanceBoosted = "plaudit.policy.allowance_boosted.v1"

	TypeRatingCorrected = "plaudit.feedback.rating_corrected.v1"
	TypeRatingWithdrawn = "plaudit.feedback.rating_withdrawn.v1"

	TypePreferencesSet    = "plaudit.directory.preferences_set.v1"
	TypeNudgeIssued       = "plaudit.nudge.nudge_issued.v1"
	TypeNudgeDelivered    = "plaudit.nudge.nudge_delivered.v1"
	TypeNudgeAcknowledged = "plaudit.nudge.nudge_acknowledged.v1"
	TypeNudgeDismissed    = "plaudit.nudge.nudge_dismissed.v1"
	TypeNudgeCancelled    = "plaudit.nudge.nudge_cancelled.v1"
)

// registry maps every type and version to its decoder: a new type is
// its constant above, its entry here, its Go type below (with the audience
// that may see it) and its schema in schemas/events.
var registry = map[string]kind{
	TypeKudosGiven:        as[KudosGiven](),
	TypeReactionAdded:     as[ReactionAdded](),
	TypeKudosRetracted:    as[KudosRetracted](),
	TypeRatingReceived:    as[RatingReceived](),
	TypeMemberUpserted:    as[MemberUpserted](),
	TypeMemberUpsertedV1:  upcast(func(d MemberUpsertedV1) Data { return d.Upcast() }),
	TypeMemberLeft:        as[MemberLeft](),
	TypePolicySet:         as[PolicySet](),
	TypePolicySetV1:       upcast(func(d PolicySetV1) Data { return d.Upcast() }),
	TypeAllowanceBoosted:  as[AllowanceBoosted](),
	TypeRatingCorrected:   as[RatingCorrected](),
	TypeRatingWithdrawn:   as[RatingWithdrawn](),
	TypePreferencesSet:    as[PreferencesSet](),
	TypeNudgeIssued:       as[NudgeIssued](),
	TypeNudgeDelivered:    as[NudgeDelivered](),
	TypeNudgeAcknowledged: as[NudgeAcknowledged](),
	TypeNudgeDismissed:    as[NudgeDismissed](),
	TypeNudgeCancelled:    as[NudgeCancelled](),
}

// Visibility of a kudos.
const (
	Public  = "public"
	Private = "private"
)

// Channels a kudos can be given through.
const (
	ChannelAPI  = "api"
	ChannelCLI  = "cli"
	ChannelChat = "chat"
	ChannelRule = "rule"
)

// Cause links an event to the event that led to it.
type Cause struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
}

// KudosGiven records recognition from a giver to 1–20 recipients. Period and
// Spent record the allowance decision: the giver's period the points count
// against (see Period) and the points spent, points × recipients, or 0 for a
// system giver such as a customer.
type KudosGiven struct {
	Giver      string   `json:"giver"`
	Recipients []string `json:"recipients"`
	Message    string   `json:"message"`
	Values     []string `json:"values"`
	Points     int      `json:"points"`
	Visibility string   `json:"visibility"`
	Channel    string   `json:"channel"`
	Cause      *Cause   `json:"cause,omitempty"`
	Period     string   `json:"period"`
	Spent      int      `json:"spent"`
}

func (KudosGiven) EventType() string { return TypeKudosGiven }
func (d KudosGiven) AggregateSubject(tenant, id string) string {
	return KudosSubject(tenant, d.Giver, "given")
}
func (d KudosGiven) Key(id string) string       { return "kudos/" + id }
func (KudosGiven) Audience() (Audience, string) { return Participants, "" }

// ReactionAdded records a member's emoji reaction to a kudos.
type ReactionAdded struct {
	KudosID string `json:"kudos_id"`
	Member  string `json:"member"`
	Emoji   string `json:"emoji"`
}

func (ReactionAdded) EventType() string { return TypeReactionAdded }
func (d ReactionAdded) AggregateSubject(tenant, _ string) string {
	return ReactionSubject(tenant, d.KudosID, d.Member)
}
func (d ReactionAdded) Key(_ string) string          { return "kudos/" + d.KudosID }
func (d ReactionAdded) Audience() (Audience, string) { return Participants, d.KudosID }

// Retractor roles.
const (
	ByGiver = "giver"
	ByAdmin = "admin"
)

// KudosRetracted withdraws a kudos. Refunded is the points given back to the
// giver's allowance: all of them when retracted in the period they were spent
// in, none otherwise.
type KudosRetracted struct {
	KudosID  string `json:"kudos_id"`
	Giver    string `json:"giver"`
	By       string `json:"by"`
	ByRole   string `json:"by_role"`
	Reason   string `json:"reason"`
	Period   string `json:"period"`
	Refunded int    `json:"refunded"`
}

func (KudosRetracted) EventType() string { return TypeKudosRetracted }
func (d KudosRetracted) AggregateSubject(tenant, _ string) string {
	return KudosSubject(tenant, d.Giver, "retracted")
}
func (d KudosRetracted) Key(_ string) string          { return "kudos/" + d.KudosID }
func (d KudosRetracted) Audience() (Audience, string) { return Participants, d.KudosID }

// Rating scales.
const (
	ScaleStars5 = "stars_5"
	ScaleCSAT5  = "csat_5"
	ScaleNPS10  = "nps_10"
)

// Interaction channels.
const (
	InteractionVoice = "voice"
	InteractionChat  = "chat"
	InteractionEmail = "email"
	InteractionOther = "other"
)

// RatingReceived records a customer's rating of an agent's interaction.
// There is at most one per (platform, interaction id).
type RatingReceived struct {
	Platform          string    `json:"platform"`
	InteractionID     string    `json:"interaction_id"`
	Agent             string    `json:"agent"`
	Score             int       `json:"score"`
	Scale             string    `json:"scale"`
	Comment           string    `json:"comment,omitempty"`
	Channel           string    `json:"channel"`
	HandleTimeSeconds int       `json:"handle_time_seconds"`
	OccurredAt        time.Time `json:"occurred_at"`
}

func (RatingReceived) EventType() string { return TypeRatingReceived }
func (d RatingReceived) AggregateSubject(tenant, _ string) string {
	return RatingSubject(tenant, d.Platform, d.InteractionID, "received")
}
func (d RatingReceived) Key(_ string) string          { return "rating/" + d.Platform + "/" + d.InteractionID }
func (d RatingReceived) Audience() (Audience, string) { return Staff, d.Agent }

// MemberUpserted carries the full current state of a member.
type MemberUpserted struct {
	Member   string `json:"member"`
	Name     string `json:"name"`
	Team     string `json:"team"`
	Manager  string `json:"manager,omitempty"`
	TimeZone string `json:"time_zone"`
	Active   bool   `json:"active"`
	// Email is the member's work address, lower-case; personal data.
	Email string `json:"email,omitempty"`
	// SlackUserID and TeamsUserID are who the member is in the chat
	// integrations: a Slack user id, a Microsoft Entra object id.
	SlackUserID string `json:"slack_user_id,omitempty"`
	TeamsUserID string `json:"teams_user_id,omitempty"`
}

// MemberUpsertedV1 is the first version of a member's state, before
// e-mail and chat identities; read as a MemberUpserted without them.
type MemberUpsertedV1 struct {
	Member   string `json:"member"`
	Name     string `json:"name"`
	Team     string `json:"team"`
	Manager  string `json:"manager,omitempty"`
	TimeZone string `json:"time_zone"`
	Active   bool   `json:"active"`
}

func (MemberUpsertedV1) EventType() string { return TypeMemberUpsertedV1 }
func (d MemberUpsertedV1) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "upserted")
}
func (d MemberUpsertedV1) Key(_ string) string        { return "member/" + d.Member }
func (MemberUpsertedV1) Audience() (Audience, string) { return Everyone, "" }

// Upcast is the version 2 state a version 1 event means: no e-mail or
// chat identities known.
func (d MemberUpsertedV1) Upcast() MemberUpserted {
	return MemberUpserted{Member: d.Member, Name: d.Name, Team: d.Team, Manager: d.Manager, TimeZone: d.TimeZone, Active: d.Active}
}

func (MemberUpserted) EventType() string { return TypeMemberUpserted }
func (d MemberUpserted) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "upserted")
}
func (d MemberUpserted) Key(_ string) string        { return "member/" + d.Member }
func (MemberUpserted) Audience() (Audience, string) { return Everyone, "" }

// MemberLeft removes a member from the tenant.
type MemberLeft struct {
	Member string `json:"member"`
	Reason string `json:"reason,omitempty"`
}

func (MemberLeft) EventType() string { return TypeMemberLeft }
func (d MemberLeft) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "left")
}
func (d MemberLeft) Key(_ string) string          { return "member/" + d.Member }
func (d MemberLeft) Audience() (Audience, string) { return Staff, d.Member }

// Allowance periods.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Allowance is how many points each member may give per period.
type Allowance struct {
	Amount int    `json:"amount"`
	Period string `json:"period"`
}

// MessageRules are the tenant's rules for kudos messages.
type MessageRules struct {
	MinLength     int  `json:"min_length"`
	RejectGeneric bool `json:"reject_generic"`
}

// PolicySet carries the tenant's full policy (version 2: version 1 had no
// rules and no nudges, and is read with their defaults).
type PolicySet struct {
	Allowance    Allowance    `json:"allowance"`
	Values       []string     `json:"values"`
	MessageRules MessageRules `json:"message_rules"`
	Rules        Rules        `json:"rules"`
	Nudges       NudgePolicy  `json:"nudges"`
}

func (PolicySet) EventType() string                        { return TypePolicySet }
func (PolicySet) AggregateSubject(tenant, _ string) string { return PolicySubject(tenant) }
func (PolicySet) Key(_ string) string                      { return "policy" }
func (PolicySet) Audience() (Audience, string)             { return Everyone, "" }

// PolicySetV1 is the first version of the tenant's policy, before rules
// and nudges. It is read as a PolicySet with their defaults.
type PolicySetV1 struct {
	Allowance    Allowance    `json:"allowance"`
	Values       []string     `json:"values"`
	MessageRules MessageRules `json:"message_rules"`
}

func (PolicySetV1) EventType() string                        { return TypePolicySetV1 }
func (PolicySetV1) AggregateSubject(tenant, _ string) string { return PolicySubject(tenant) }
func (PolicySetV1) Key(_ string) string                      { return "policy" }
func (PolicySetV1) Audience() (Audience, string)             { return Everyone, "" }

// Upcast is the version 2 policy a version 1 event means: the same, with
// the default rules and nudges.
func (d PolicySetV1) Upcast() PolicySet {
	p := DefaultPolicy()
	p.Allowance, p.Values, p.MessageRules = d.Allowance, d.Values, d.MessageRules
	return p
}

// Scores holds one score per rating scale.
type Scores struct {
	Stars5 int `json:"stars_5"`
	CSAT5  int `json:"csat_5"`
	NPS10  int `json:"nps_10"`
}

// Of is the score for scale, and false for an unknown scale.
func (s Scores) Of(scale string) (int, bool) {
	switch scale {
	case ScaleStars5:
		return s.Stars5, true
	case ScaleCSAT5:
		return s.CSAT5, true
	case ScaleNPS10:
		return s.NPS10, true
	}
	return 0, false
}

// Rules are the tenant's thresholds for the rules engine.
type Rules struct {
	// RatingKudos: a rating at or above its scale's score becomes kudos.
	RatingKudos Scores `json:"rating_kudos"`
	// Wellness: when an agent is nudged to look after themselves.
	Wellness Wellness `json:"wellness"`
	// GapDays: a member not recognised for this many days is in the
	// recognition gap, and their manager may be nudged.
	GapDays int `json:"gap_days"`
	// GivingAfterPercent: how much of the allowance period has passed
	// before a member who has given nothing is reminded.
	GivingAfterPercent int `json:"giving_after_percent"`
}

// Wellness thresholds. An interaction ends at its rating's occurred_at
// and began handle_time_seconds before.
type Wellness struct {
	// LongInteractionMinutes: an interaction at least this long.
	LongInteractionMinutes int `json:"long_interaction_minutes"`
	// LowRating: a rating at or below its scale's score.
	LowRating Scores `json:"low_rating"`
	// RunLength interactions in a row, each starting less than
	// BreakMinutes after the previous one ended.
	RunLength    int `json:"run_length"`
	BreakMinutes int `json:"break_minutes"`
}

// Nudge kinds.
const (
	NudgeWellness = "wellness"
	NudgeGap      = "gap"
	NudgeGiving   = "giving"
)

// NudgeKinds lists every nudge kind.
var NudgeKinds = []string{NudgeWellness, NudgeGap, NudgeGiving}

// How a tenant offers a nudge kind.
const (
	OptIn  = "opt_in"  // off until the member turns it on
	OptOut = "opt_out" // on until the member turns it off
	Off    = "off"     // never sent
)

// NudgePolicy is how the tenant's nudges reach its members.
type NudgePolicy struct {
	// DailyCap: at most this many nudges per member per day, in their
	// time zone; 0 sends none.
	DailyCap int    `json:"daily_cap"`
	Wellness string `json:"wellness"`
	Gap      string `json:"gap"`
	Giving   string `json:"giving"`
	// QuietHours are every member's until they set their own.
	QuietHours QuietHours `json:"quiet_hours"`
}

// Offer is how the policy offers kind (OptIn, OptOut or Off).
func (n NudgePolicy) Offer(kind string) string {
	switch kind {
	case NudgeWellness:
		return n.Wellness
	case NudgeGap:
		return n.Gap
	case NudgeGiving:
		return n.Giving
	}
	return Off
}

// QuietHours run from Start to End ("HH:MM", 24-hour clock) in the
// member's time zone, across midnight when End is before Start; equal
// times mean none.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// ValidClock reports whether s is a time of day "HH:MM", 00:00 to 23:59.
func ValidClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// DefaultPolicy applies to a tenant that has not set one.
func DefaultPolicy() PolicySet {
	return PolicySet{
		Allowance:    Allowance{Amount: 5, Period: PeriodDay},
		Values:       []string{},
		MessageRules: MessageRules{MinLength: 20, RejectGeneric: true},
		Rules: Rules{
			RatingKudos: Scores{Stars5: 5, CSAT5: 5, NPS10: 9},
			Wellness: Wellness{
				LongInteractionMinutes: 45,
				LowRating:              Scores{Stars5: 2, CSAT5: 2, NPS10: 4},
				RunLength:              8,
				BreakMinutes:           10,
			},
			GapDays:            14,
			GivingAfterPercent: 75,
		},
		Nudges: NudgePolicy{
			DailyCap: 3, Wellness: OptIn, Gap: OptIn, Giving: OptIn,
			QuietHours: QuietHours{Start: "20:00", End: "08:00"},
		},
	}
}

// AllowanceBoosted grants extra points per period to one member or to every
// member of a team, for the periods that start within [From, To] (calendar
// dates in each member's time zone, inclusive).
type AllowanceBoosted struct {
	BoostID string `json:"boost_id"`
	Member  string `json:"member,omitempty"`
	Team    string `json:"team,omitempty"`
	Points  int    `json:"points"`
	From    string `json:"from"`
	To      string `json:"to"`
	Reason  string `json:"reason,omitempty"`
	By      string `json:"by"`
}

func (AllowanceBoosted) EventType() string { return TypeAllowanceBoosted }
func (d AllowanceBoosted) AggregateSubject(tenant, _ string) string {
	return BoostSubject(tenant, d.BoostID)
}
func (d AllowanceBoosted) Key(_ string) string          { return "boost/" + d.BoostID }
func (d AllowanceBoosted) Audience() (Audience, string) { return Staff, d.Member }

// RatingCorrected replaces a rating: the platform corrected it. It carries
// the whole rating as it now stands; Reason says why, when the platform
// said.
type RatingCorrected struct {
	Platform          string    `json:"platform"`
	InteractionID     string    `json:"interaction_id"`
	Agent             string    `json:"agent"`
	Score             int       `json:"score"`
	Scale             string    `json:"scale"`
	Comment           string    `json:"comment,omitempty"`
	Channel           string    `json:"channel"`
	HandleTimeSeconds int       `json:"handle_time_seconds"`
	OccurredAt        time.Time `json:"occurred_at"`
	Reason            string    `json:"reason,omitempty"`
}

func (RatingCorrected) EventType() string { return TypeRatingCorrected }
func (d RatingCorrected) AggregateSubject(tenant, _ string) string {
	return RatingSubject(tenant, d.Platform, d.InteractionID, "corrected")
}
func (d RatingCorrected) Key(_ string) string          { return "rating/" + d.Platform + "/" + d.InteractionID }
func (d RatingCorrected) Audience() (Audience, string) { return Staff, d.Agent }

// Rating is the rating as corrected.
func (d RatingCorrected) Rating() RatingReceived {
	return RatingReceived{
		Platform: d.Platform, InteractionID: d.InteractionID, Agent: d.Agent, Score: d.Score, Scale: d.Scale,
		Comment: d.Comment, Channel: d.Channel, HandleTimeSeconds: d.HandleTimeSeconds, OccurredAt: d.OccurredAt,
	}
}

// RatingWithdrawn withdraws a rating: the platform took it back. Agent is
// the agent the rating last named. Nothing follows it on the interaction.
type RatingWithdrawn struct {
	Platform      string `json:"platform"`
	InteractionID string `json:"interaction_id"`
	Agent         string `json:"agent"`
	Reason        string `json:"reason,omitempty"`
}

func (RatingWithdrawn) EventType() string { return TypeRatingWithdrawn }
func (d RatingWithdrawn) AggregateSubject(tenant, _ string) string {
	return RatingSubject(tenant, d.Platform, d.InteractionID, "withdrawn")
}
func (d RatingWithdrawn) Key(_ string) string          { return "rating/" + d.Platform + "/" + d.InteractionID }
func (d RatingWithdrawn) Audience() (Audience, string) { return Staff, d.Agent }

// A member's choice for a nudge kind.
const (
	ChoiceOn  = "on"
	ChoiceOff = "off"
)

// NudgeChoices are a member's choices per nudge kind: ChoiceOn, ChoiceOff,
// or absent to follow the tenant's policy.
type NudgeChoices struct {
	Wellness string `json:"wellness,omitempty"`
	Gap      string `json:"gap,omitempty"`
	Giving   string `json:"giving,omitempty"`
}

// Of is the member's choice for kind, "" when they made none.
func (c NudgeChoices) Of(kind string) string {
	switch kind {
	case NudgeWellness:
		return c.Wellness
	case NudgeGap:
		return c.Gap
	case NudgeGiving:
		return c.Giving
	}
	return ""
}

// PreferencesSet carries a member's full nudge preferences: replace, don't
// merge. Absent quiet hours follow the tenant's policy.
type PreferencesSet struct {
	Member     string       `json:"member"`
	Nudges     NudgeChoices `json:"nudges"`
	QuietHours *QuietHours  `json:"quiet_hours,omitempty"`
}

func (PreferencesSet) EventType() string { return TypePreferencesSet }
func (d PreferencesSet) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "preferences")
}
func (d PreferencesSet) Key(_ string) string          { return "member/" + d.Member }
func (d PreferencesSet) Audience() (Audience, string) { return Personal, d.Member }

// Why a nudge was issued.
const (
	ReasonLongInteraction = "long_interaction"
	ReasonLowRating       = "low_rating"
	ReasonNoBreak         = "no_break"
	ReasonRecognitionGap  = "recognition_gap"
	ReasonAllowanceLeft   = "allowance_left"
)

// NudgeIssued records the rules engine's decision to nudge a member. The
// event id is the nudge's id, derived from its cause, so one cause nudges
// once. Day is the member's calendar day the nudge counts against in the
// daily cap: the day of DeliverAt in their time zone. DeliverAt is when it
// reaches them: at once, or when their quiet hours end. ExpiresAt is when
// it is no longer worth delivering: a nudge not delivered by then is
// cancelled.
type NudgeIssued struct {
	Member    string    `json:"member"`
	Kind      string    `json:"kind"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	About     string    `json:"about,omitempty"`
	Cause     *Cause    `json:"cause,omitempty"`
	Day       string    `json:"day"`
	DeliverAt time.Time `json:"deliver_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (NudgeIssued) EventType() string { return TypeNudgeIssued }
func (d NudgeIssued) AggregateSubject(tenant, _ string) string {
	return NudgeSubject(tenant, d.Member, "issued")
}
func (d NudgeIssued) Key(id string) string         { return "nudge/" + id }
func (d NudgeIssued) Audience() (Audience, string) { return Personal, d.Member }

// NudgeDelivered releases a nudge to its member: chat integrations
// subscribe to these and pass them on. It repeats what they need.
type NudgeDelivered struct {
	NudgeID string `json:"nudge_id"`
	Member  string `json:"member"`
	Kind    string `json:"kind"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	About   string `json:"about,omitempty"`
}

func (NudgeDelivered) EventType() string { return TypeNudgeDelivered }
func (d NudgeDelivered) AggregateSubject(tenant, _ string) string {
	return NudgeSubject(tenant, d.Member, "delivered")
}
func (d NudgeDelivered) Key(_ string) string          { return "nudge/" + d.NudgeID }
func (d NudgeDelivered) Audience() (Audience, string) { return Personal, d.Member }

// NudgeAcknowledged records that the member acted on a nudge.
type NudgeAcknowledged struct {
	NudgeID string `json:"nudge_id"`
	Member  string `json:"member"`
}

func (NudgeAcknowledged) EventType() string { return TypeNudgeAcknowledged }
func (d NudgeAcknowledged) AggregateSubject(tenant, _ string) string {
	return NudgeSubject(tenant, d.Member, "acknowledged")
}
func (d NudgeAcknowledged) Key(_ string) string          { return "nudge/" + d.NudgeID }
func (d NudgeAcknowledged) Audience() (Audience, string) { return Personal, d.Member }

// NudgeDismissed records that the member waved a nudge away.
type NudgeDismissed struct {
	NudgeID string `json:"nudge_id"`
	Member  string `json:"member"`
}

func (NudgeDismissed) EventType() string { return TypeNudgeDismissed }
func (d NudgeDismissed) AggregateSubject(tenant, _ string) string {
	return NudgeSubject(tenant, d.Member, "dismissed")
}
func (d NudgeDismissed) Key(_ string) string          { return "nudge/" + d.NudgeID }
func (d NudgeDismissed) Audience() (Audience, string) { return Personal, d.Member }

// Why a nudge was cancelled instead of delivered.
const (
	CancelExpired   = "expired"     // not delivered before it expired
	CancelLeft      = "member_left" // the member nudged, or the one it is about, left
	CancelNotWanted = "not_wanted"  // the member or the tenant turned the kind off meanwhile
)

// NudgeCancelled ends a nudge that was issued but will not be delivered.
type NudgeCancelled struct {
	NudgeID string `json:"nudge_id"`
	Member  string `json:"member"`
	Reason  string `json:"reason"`
}

func (NudgeCancelled) EventType() string { return TypeNudgeCancelled }
func (d NudgeCancelled) AggregateSubject(tenant, _ string) string {
	return NudgeSubject(tenant, d.Member, "cancelled")
}
func (d NudgeCancelled) Key(_ string) string          { return "nudge/" + d.NudgeID }
func (d NudgeCancelled) Audience() (Audience, string) { return Personal, d.Member }
