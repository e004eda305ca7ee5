package v1

import "time"

// Operations on API keys, declared in the contract (Op).
var (
	OpCreateKey = declareOp("keys.create", "POST /v1/keys", KeyRequest{})
	OpListKeys  = declareOp("keys.list", "GET /v1/keys", nil)
	OpRevokeKey = declareOp("keys.revoke", "DELETE /v1/keys/{id}", nil)
)

// KeyRequest is the body of POST /v1/keys (NATS: keys.create).
type KeyRequest struct {
	// Role is "admin", "integration", "member", "manager", "analyst" or
	// "publisher".
	Role string `json:"role"`
	// Member is the member the key acts as: required for member and
	// manager keys.
	Member string `json:"member,omitempty"`
	// ExpiresAt, an RFC 3339 time in the future, is when the key stops
	// working; empty: never.
	ExpiresAt string `json:"expires_at,omitempty"`
}

// CreatedKey answers POST /v1/keys. Key, the secret, is shown only in the
// first answer: a retry under the same Idempotency-Key gets the rest, and
// Note says so.
type CreatedKey struct {
	Key    string `json:"key,omitempty"`
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Role   string `json:"role"`
	Member string `json:"member,omitempty"`
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// KeyList answers GET /v1/keys: the tenant's keys, without secrets.
type KeyList struct {
	Keys []APIKey `json:"keys"`
}

// APIKey is an API key as it is listed, and as DELETE /v1/keys/{id}
// answers with the key it revoked: never its secret.
type APIKey struct {
	KeyID     string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Role      string    `json:"role"`
	Member    string    `json:"member,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Session marks a web page's sign-in: revoking it signs the browser
	// out.
	Session bool `json:"session,omitempty"`
}
