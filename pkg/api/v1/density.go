package v1

import "time"

// Density query names; the density projection answers them, GET
// /v1/teams/{team}/density, /v1/density, /v1/members/{member}/density and
// /v1/teams/{team}/gaps with them. Each takes a DensityRequest.
var (
	// QueryDensityTeam answers a TeamDensity for the request's Team.
	QueryDensityTeam = declare(Query{"density.team", "GET /v1/teams/{team}/density", Admins | Analysts | TeamMembers | TeamManagers, DensityRequest{}, TeamDensity{}})
	// QueryDensityTenant answers the tenant's TenantDensity.
	QueryDensityTenant = declare(Query{"density.tenant", "GET /v1/density", Admins | Analysts, DensityRequest{}, TenantDensity{}})
	// QueryDensityMember answers a MemberDensity for the request's Member.
	QueryDensityMember = declare(Query{"density.member", "GET /v1/members/{member}/density", Admins | Analysts | Self | ManagersAbove, DensityRequest{}, MemberDensity{}})
	// QueryDensityGaps answers the Gaps of the request's Team over Days.
	QueryDensityGaps = declare(Query{"density.gaps", "", 0, DensityRequest{}, Gaps{}})
)

// DensityRequest asks for figures: of Team, of Member, or of the tenant
// when neither is set, over Window (and Week); a gap query sets Days.
type DensityRequest struct {
	Tenant string `json:"tenant"`
	Team   string `json:"team,omitempty"`
	Member string `json:"member,omitempty"`
	// Window is "1d", "7d" (the default), "30d" or "week".
	Window string `json:"window,omitempty"`
	// Week names a past ISO week for window "week", "2026-W48".
	Week string `json:"week,omitempty"`
	// Days of a gap query, 1 to 365; 0 asks for the default, 14.
	Days   int    `json:"days,omitempty"`
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// ReadAfter is the stream sequence the answer must reflect.
func (r DensityRequest) ReadAfter() uint64 { return r.MinSeq }

// Span is the time a figure covers: a rolling window, or a calendar week in
// each member's own time zone.
type Span struct {
	Window string `json:"window"`
	// Week is the ISO week of a calendar-week span asked for, "2026-W48";
	// empty for the week that holds now, each member's own.
	Week string `json:"week,omitempty"`
	// From and To bound a rolling window: after From, up to To.
	From *time.Time `json:"from,omitempty"`
	To   time.Time  `json:"to"`
}

// Direction counts moments by where they came from, each moment in one:
// from a customer (a kudos caused by a rating), from the recipient's
// manager or a manager above them, from another team, or between peers.
type Direction struct {
	Peer      int `json:"peer"`
	Manager   int `json:"manager"`
	Customer  int `json:"customer"`
	CrossTeam int `json:"cross_team"`
}

// Timeliness is, for the moments caused by customer ratings, the delay
// from the rating's occurred-at to the kudos, in seconds.
type Timeliness struct {
	Count         int     `json:"count"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
	MaxSeconds    float64 `json:"max_seconds"`
}

// Figures are the density figures of a group of members (a team, a tenant)
// over a span. Moments are counted once per recipient.
type Figures struct {
	// Members are the group's active members, whom every figure is about.
	Members  int `json:"members"`
	Received int `json:"received"`
	Given    int `json:"given"`
	// Per member and per week (the span's length in weeks).
	ReceivedPerMemberPerWeek float64 `json:"received_per_member_per_week"`
	GivenPerMemberPerWeek    float64 `json:"given_per_member_per_week"`
	// Reach is the share of members recognised at least once (Recognised).
	Recognised int     `json:"recognised"`
	Reach      float64 `json:"reach"`
	// DistinctGiversPerReceiver is the mean, over the members recognised,
	// of how many different people recognised each.
	DistinctGiversPerReceiver float64        `json:"distinct_givers_per_receiver"`
	Direction                 Direction      `json:"direction"`
	Values                    map[string]int `json:"values"`
	// Gini of the moments received across the members: 0 when everyone
	// received as many, towards 1 when a few received them all.
	Gini       float64    `json:"gini"`
	Timeliness Timeliness `json:"timeliness"`
}

// TeamDensity is the answer of QueryDensityTeam: a team's figures.
type TeamDensity struct {
	Team string `json:"team"`
	Span
	Figures
}

// TenantDensity is the answer of QueryDensityTenant: the tenant's figures,
// all teams together, and each team's.
type TenantDensity struct {
	Span
	Figures
	Teams []TeamDensity `json:"teams"`
}

// MemberDensity is the answer of QueryDensityMember: one member's figures.
type MemberDensity struct {
	Member   string `json:"member"`
	Team     string `json:"team"`
	TimeZone string `json:"time_zone"`
	Span
	Received        int            `json:"received"`
	Given           int            `json:"given"`
	ReceivedPerWeek float64        `json:"received_per_week"`
	GivenPerWeek    float64        `json:"given_per_week"`
	DistinctGivers  int            `json:"distinct_givers"`
	Direction       Direction      `json:"direction"`
	Values          map[string]int `json:"values"`
	Timeliness      Timeliness     `json:"timeliness"`
	// LastRecognisedAt is the newest moment received up to now, if any.
	LastRecognisedAt *time.Time `json:"last_recognised_at"`
}

// Gaps is the answer of QueryDensityGaps: a team's active members, who
// joined at least Days ago, not recognised in the Days before AsOf.
type Gaps struct {
	Team    string    `json:"team"`
	Days    int       `json:"days"`
	AsOf    time.Time `json:"as_of"`
	Members []Gap     `json:"members"`
}

// Gap is an active member not recognised for the gap list's days.
type Gap struct {
	Member string `json:"member"`
	// LastRecognisedAt is their newest moment received, nil when they have
	// none; DaysWithout counts whole days since then, or since they joined.
	LastRecognisedAt *time.Time `json:"last_recognised_at"`
	DaysWithout      int        `json:"days_without"`
}
