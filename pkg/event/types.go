package event

import "time"

// Event types, one per type and version. The names are part of the public
// contract; a new shape is a new version, upcast when read.
const (
	TypeKudosGiven       = "plaudit.recognition.kudos_given.v1"
	TypeReactionAdded    = "plaudit.recognition.reaction_added.v1"
	TypeKudosRetracted   = "plaudit.recognition.kudos_retracted.v1"
	TypeRatingReceived   = "plaudit.feedback.rating_received.v1"
	TypeMemberUpserted   = "plaudit.directory.member_upserted.v1"
	TypeMemberLeft       = "plaudit.directory.member_left.v1"
	TypePolicySet        = "plaudit.policy.tenant_policy_set.v1"
	TypeAllowanceBoosted = "plaudit.policy.allowance_boosted.v1"
)

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
func (d KudosGiven) Key(id string) string { return "kudos/" + id }

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
func (d ReactionAdded) Key(_ string) string { return "kudos/" + d.KudosID }

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
func (d KudosRetracted) Key(_ string) string { return "kudos/" + d.KudosID }

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
func (d RatingReceived) Key(_ string) string { return "rating/" + d.Platform + "/" + d.InteractionID }

// MemberUpserted carries the full current state of a member.
type MemberUpserted struct {
	Member   string `json:"member"`
	Name     string `json:"name"`
	Team     string `json:"team"`
	Manager  string `json:"manager,omitempty"`
	TimeZone string `json:"time_zone"`
	Active   bool   `json:"active"`
}

func (MemberUpserted) EventType() string { return TypeMemberUpserted }
func (d MemberUpserted) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "upserted")
}
func (d MemberUpserted) Key(_ string) string { return "member/" + d.Member }

// MemberLeft removes a member from the tenant.
type MemberLeft struct {
	Member string `json:"member"`
	Reason string `json:"reason,omitempty"`
}

func (MemberLeft) EventType() string { return TypeMemberLeft }
func (d MemberLeft) AggregateSubject(tenant, _ string) string {
	return MemberSubject(tenant, d.Member, "left")
}
func (d MemberLeft) Key(_ string) string { return "member/" + d.Member }

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

// PolicySet carries the tenant's full policy.
type PolicySet struct {
	Allowance    Allowance    `json:"allowance"`
	Values       []string     `json:"values"`
	MessageRules MessageRules `json:"message_rules"`
}

func (PolicySet) EventType() string                        { return TypePolicySet }
func (PolicySet) AggregateSubject(tenant, _ string) string { return PolicySubject(tenant) }
func (PolicySet) Key(_ string) string                      { return "policy" }

// DefaultPolicy applies to a tenant that has not set one.
func DefaultPolicy() PolicySet {
	return PolicySet{
		Allowance:    Allowance{Amount: 5, Period: PeriodDay},
		Values:       []string{},
		MessageRules: MessageRules{MinLength: 20, RejectGeneric: true},
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
func (d AllowanceBoosted) Key(_ string) string { return "boost/" + d.BoostID }
