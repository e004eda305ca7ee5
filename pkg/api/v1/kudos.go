package v1

import "github.com/plaudit/plaudit/pkg/event"

// Operations on kudos, declared in the contract (Op).
var (
	OpGiveKudos = declareOp("kudos.give", "POST /v1/kudos", GiveRequest{})
	OpReact     = declareOp("kudos.react", "POST /v1/kudos/{id}/reactions", ReactRequest{})
	OpRetract   = declareOp("kudos.retract", "DELETE /v1/kudos/{id}", RetractRequest{})
)

// GiveRequest is the body of POST /v1/kudos (NATS: kudos.give).
type GiveRequest struct {
	// From is the giver, named by admin and integration keys; a member's
	// key gives as its member.
	From string `json:"from,omitempty"`
	// To are the recipients, 1 to 20.
	To      []string `json:"to"`
	Message string   `json:"message"`
	// Values are company values of the tenant's policy.
	Values []string `json:"values,omitempty"`
	// Points per recipient; nil gives 1.
	Points *int `json:"points,omitempty"`
	// Visibility is "public" (the default) or "private".
	Visibility string `json:"visibility,omitempty"`
	// Channel and Cause are named by integration and admin keys only: the
	// channel the kudos came through (default: the transport's), and the
	// event that caused it (a rating, say).
	Channel string       `json:"channel,omitempty"`
	Cause   *event.Cause `json:"cause,omitempty"`
}

// ReactRequest is the body of POST /v1/kudos/{id}/reactions (NATS:
// kudos.react).
type ReactRequest struct {
	// Emoji is one emoji or a :short_code:.
	Emoji string `json:"emoji"`
	// From is the member reacting, as GiveRequest's.
	From string `json:"from,omitempty"`
}

// RetractRequest is the body of DELETE /v1/kudos/{id} (NATS:
// kudos.retract); it may be empty, or the reason sent as ?reason= instead.
type RetractRequest struct {
	Reason string `json:"reason"`
	// From is the retracting giver, as GiveRequest's; an admin key without
	// it retracts as admin.
	From string `json:"from,omitempty"`
}
