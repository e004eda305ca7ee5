package v1

import "encoding/json"

// Operations on the policy, declared in the contract (Op).
var (
	OpSetPolicy = declareOp("policy.set", "PUT /v1/policy", PolicyRequest{})
)

// PolicyRequest is the body of PUT /v1/policy (NATS: policy.set): the
// tenant's whole policy. Every setting left out takes its default.
type PolicyRequest struct {
	Allowance *PolicyAllowance `json:"allowance,omitempty"`
	// Values are the company values kudos may name; none: any.
	Values       []string            `json:"values,omitempty"`
	MessageRules *PolicyMessageRules `json:"message_rules,omitempty"`
	// Rules and Nudges are JSON objects read over the defaults (the
	// "rules" and "nudges" of the policy.tenant_policy_set event's
	// schema): a field left out keeps its default.
	Rules  json.RawMessage `json:"rules,omitempty"`
	Nudges json.RawMessage `json:"nudges,omitempty"`
}

// PolicyAllowance is the points each member may give per period.
type PolicyAllowance struct {
	// Amount is required.
	Amount *int `json:"amount"`
	// Period is "day", "week" or "month"; empty keeps the default.
	Period string `json:"period"`
}

// PolicyMessageRules are the rules a kudos's message must meet; nil
// fields keep their defaults.
type PolicyMessageRules struct {
	MinLength     *int  `json:"min_length"`
	RejectGeneric *bool `json:"reject_generic"`
}
