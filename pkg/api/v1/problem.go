package v1

import "time"

// ProblemBase prefixes the Type of every Problem: a client branches on
// what follows it ("not-found", "allowance-exceeded", "rate-limited" …).
const ProblemBase = "https://plaudit.dev/problems/"

// Problem is an RFC 9457 problem detail, the body of every 4xx and 5xx
// answer (Content-Type application/problem+json) and of every NATS error
// reply. Field names the request field at fault: a JSON field
// ("allowance.amount", "members[0].id"), "id" for the path,
// "Authorization" or "Idempotency-Key" for headers, "body" for the body
// as a whole.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
	// Allowance tells a giver refused for overspending where they stand.
	Allowance *AllowanceState `json:"allowance,omitempty"`
	// RetryAfter, in seconds, is also sent as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
}

// Error is the problem's detail.
func (p *Problem) Error() string { return p.Detail }

// AllowanceState tells a refused giver where they stand.
type AllowanceState struct {
	Requested int       `json:"requested"`
	Limit     int       `json:"limit"`
	Spent     int       `json:"spent"`
	Remaining int       `json:"remaining"`
	Period    string    `json:"period"`
	ResetsAt  time.Time `json:"resets_at"`
}
