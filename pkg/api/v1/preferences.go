package v1

import "github.com/plaudit/plaudit/pkg/event"

// Operations on nudge preferences, declared in the contract (Op).
var (
	OpSetPreferences = declareOp("members.preferences", "PUT /v1/members/{id}/preferences", PreferencesRequest{})
)

// PreferencesRequest is the body of PUT /v1/members/{id}/preferences
// (NATS: members.preferences): the member's nudge preferences, all of
// them. A kind left out, and quiet hours left out, follow the tenant's
// policy.
type PreferencesRequest struct {
	Nudges     event.NudgeChoices `json:"nudges"`
	QuietHours *event.QuietHours  `json:"quiet_hours,omitempty"`
}

// Preferences answers GET /v1/members/{id}/preferences: a member's nudge
// preferences as they apply now, the tenant's policy applied.
type Preferences struct {
	Member   string `json:"member"`
	TimeZone string `json:"time_zone"`
	// Nudges is how each kind of nudge reaches the member, by kind.
	Nudges     map[string]KindPreference `json:"nudges"`
	QuietHours event.QuietHours          `json:"quiet_hours"`
	// QuietHoursFrom says whose quiet hours apply: "member" or "tenant".
	QuietHoursFrom string `json:"quiet_hours_from"`
	DailyCap       int    `json:"daily_cap"`
}

// KindPreference is how one kind of nudge reaches a member.
type KindPreference struct {
	// Offer is the tenant's: "opt_in", "opt_out" or "off".
	Offer string `json:"offer"`
	// Choice is the member's: "on", "off", or empty for none.
	Choice string `json:"choice,omitempty"`
	// Receives is what follows from both.
	Receives bool `json:"receives"`
}
