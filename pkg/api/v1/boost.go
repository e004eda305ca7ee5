package v1

// Operations on allowances, declared in the contract (Op).
var (
	OpBoost = declareOp("boosts.grant", "POST /v1/boosts", BoostRequest{})
)

// BoostRequest is the body of POST /v1/boosts (NATS: boosts.grant): extra
// points per allowance period for a member or a whole team, for the
// periods starting from From to To (dates such as 2026-11-23, inclusive,
// in each member's time zone).
type BoostRequest struct {
	Member string `json:"member,omitempty"`
	Team   string `json:"team,omitempty"`
	Points int    `json:"points"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}
