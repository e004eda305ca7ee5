package v1

import (
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Operations on nudges, declared in the contract (Op).
var (
	OpAckNudge     = declareOp("nudges.ack", "POST /v1/nudges/{id}/ack", SettleRequest{})
	OpDismissNudge = declareOp("nudges.dismiss", "POST /v1/nudges/{id}/dismiss", SettleRequest{})
)

// QueryNudges asks the rules projection for a member's nudges; GET
// /v1/members/{member}/nudges answers with it.
var QueryNudges = declare(Query{"nudges.list", "GET /v1/members/{member}/nudges", Admins | Integrations | Self, NudgesRequest{}, Nudges{}})

// MaxNudges bounds a NudgesRequest's Limit.
const MaxNudges = 200

// NudgesRequest is the request of QueryNudges.
type NudgesRequest struct {
	Tenant string `json:"tenant"`
	Member string `json:"member"`
	// Limit is how many, newest first, at most MaxNudges; 0 asks for 50.
	Limit  int    `json:"limit,omitempty"`
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// ReadAfter is the stream sequence the answer must reflect.
func (r NudgesRequest) ReadAfter() uint64 { return r.MinSeq }

// Nudges is the answer of QueryNudges: a member's nudges, newest first.
type Nudges struct {
	Member string  `json:"member"`
	Nudges []Nudge `json:"nudges"`
}

// Nudge is a nudge and where it stands. State is "pending" (due at
// DeliverAt, after the member's quiet hours), "delivered", "acknowledged",
// "dismissed" or "cancelled" (see CancelReason).
type Nudge struct {
	ID          string       `json:"id"`
	Member      string       `json:"member"`
	Kind        string       `json:"kind"`
	Reason      string       `json:"reason"`
	Message     string       `json:"message"`
	About       string       `json:"about,omitempty"`
	Cause       *event.Cause `json:"cause,omitempty"`
	State       string       `json:"state"`
	IssuedAt    time.Time    `json:"issued_at"`
	DeliverAt   time.Time    `json:"deliver_at"`
	ExpiresAt   time.Time    `json:"expires_at"`
	DeliveredAt *time.Time   `json:"delivered_at,omitempty"`
	SettledAt   *time.Time   `json:"settled_at,omitempty"`
	// CancelReason says why a cancelled nudge was not delivered.
	CancelReason string `json:"cancel_reason,omitempty"`
}

// SettleRequest is the body of POST /v1/nudges/{id}/ack and
// /v1/nudges/{id}/dismiss (NATS: nudges.ack, nudges.dismiss); it may be
// empty.
type SettleRequest struct {
	// Member is the member nudged, named by integration and admin keys; a
	// member's key settles its own member's.
	Member string `json:"member,omitempty"`
}
