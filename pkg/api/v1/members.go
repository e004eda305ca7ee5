package v1

// Operations on the directory, declared in the contract (Op).
var (
	OpUpsertMember  = declareOp("members.upsert", "PUT /v1/members/{id}", MemberRequest{})
	OpRemoveMember  = declareOp("members.remove", "DELETE /v1/members/{id}", RemovalRequest{})
	OpImportMembers = declareOp("members.import", "PUT /v1/members", ImportRequest{})
)

// MemberRequest is the body of PUT /v1/members/{id} (NATS: members.upsert):
// the member's whole state.
type MemberRequest struct {
	Name    string `json:"name"`
	Team    string `json:"team"`
	Manager string `json:"manager,omitempty"`
	// TimeZone is an IANA name, such as Europe/Lisbon: the member's
	// allowance periods start at its midnights.
	TimeZone string `json:"time_zone"`
	// Active is true when nil.
	Active *bool `json:"active,omitempty"`
	// Email is the member's work address; the Slack integration finds
	// the member of a Slack user by it when SlackUserID is not set.
	Email string `json:"email,omitempty"`
	// SlackUserID (U… or W…) and TeamsUserID (the Microsoft Entra object
	// id) are who the member is in the chat integrations; each maps to at
	// most one member of the tenant.
	SlackUserID string `json:"slack_user_id,omitempty"`
	TeamsUserID string `json:"teams_user_id,omitempty"`
}

// RemovalRequest is the body of DELETE /v1/members/{id} (NATS:
// members.remove); it may be empty, or the reason sent as ?reason= instead.
type RemovalRequest struct {
	Reason string `json:"reason,omitempty"`
}

// ImportRequest is the body of PUT /v1/members (NATS: members.import):
// members upserted in one atomic batch, a directory sync.
type ImportRequest struct {
	Members []ImportedMember `json:"members"`
}

// ImportedMember is one member of an ImportRequest.
type ImportedMember struct {
	ID string `json:"id"`
	MemberRequest
}
