package v1

import "encoding/json"

// Reads of the directory and the policy, answered by the write side's
// directory: GET /v1/members and GET /v1/policy, for every role but
// publisher. The web page's pickers and forms are made from them.
const (
	MembersRoute = "GET /v1/members"
	PolicyRoute  = "GET /v1/policy"
)

// Directory answers GET /v1/members: the tenant's members who have not
// left, by id. Email and the chat integrations' ids are shown to admin and
// integration keys only.
type Directory struct {
	Members []DirectoryMember `json:"members"`
}

// DirectoryMember is one member as the directory lists them.
type DirectoryMember struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Team    string `json:"team"`
	Manager string `json:"manager,omitempty"`
	// TimeZone is the IANA zone of the member's allowance periods.
	TimeZone    string `json:"time_zone"`
	Active      bool   `json:"active"`
	Email       string `json:"email,omitempty"`
	SlackUserID string `json:"slack_user_id,omitempty"`
	TeamsUserID string `json:"teams_user_id,omitempty"`
}

// Policy answers GET /v1/policy: the tenant's policy in force, with every
// default filled in, in the shape of PUT /v1/policy's body.
type Policy struct {
	Allowance    PolicyAllowanceSet `json:"allowance"`
	Values       []string           `json:"values"`
	MessageRules MessageRulesSet    `json:"message_rules"`
	Rules        json.RawMessage    `json:"rules"`
	Nudges       json.RawMessage    `json:"nudges"`
}

// PolicyAllowanceSet is the allowance in force.
type PolicyAllowanceSet struct {
	Amount int    `json:"amount"`
	Period string `json:"period"`
}

// MessageRulesSet are the message rules in force.
type MessageRulesSet struct {
	MinLength     int  `json:"min_length"`
	RejectGeneric bool `json:"reject_generic"`
}
