package v1

import "time"

// OpCreateSession asks for a one-time link that signs a member in to the
// web page (package session).
var OpCreateSession = declareOp("sessions.create", "POST /v1/sessions", SessionRequest{})

// SessionRequest is the body of POST /v1/sessions (NATS: sessions.create).
type SessionRequest struct {
	// Member is the active member the link signs in.
	Member string `json:"member"`
	// Role is what the session may do: "member", "manager" or "admin"
	// (admin keys only). Empty: "manager" when the directory has the
	// member manage someone, else "member".
	Role string `json:"role,omitempty"`
	// TTLMinutes is how long the link works, 1 to 60; 0: 15.
	TTLMinutes int `json:"ttl_minutes,omitempty"`
}

// SignInLink answers POST /v1/sessions. URL, holding the link's secret
// token, is shown only in the first answer: a retry under the same
// Idempotency-Key gets the rest, and Note says so. The link works once,
// until ExpiresAt; the session it opens lasts 12 hours.
type SignInLink struct {
	URL       string    `json:"url,omitempty"`
	Member    string    `json:"member"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
	Note      string    `json:"note,omitempty"`
}
