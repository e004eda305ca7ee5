package v1

// Operations on NATS credentials, declared in the contract (Op).
var (
	OpCreateNATSCreds = declareOp("nats_credentials.create", "POST /v1/nats-credentials", NATSCredsRequest{})
	OpListNATSCreds   = declareOp("nats_credentials.list", "GET /v1/nats-credentials", nil)
	OpRevokeNATSCreds = declareOp("nats_credentials.revoke", "DELETE /v1/nats-credentials/{id}", nil)
)

// NATSCredsRequest is the body of POST /v1/nats-credentials
// (NATS: nats_credentials.create).
type NATSCredsRequest struct {
	// Role is "downstream" (reads the tenant's events through its own
	// consumers) or "publisher" (calls the rating commands over NATS).
	Role string `json:"role"`
	// Name says what the credential is for, e.g. billing-sync.
	Name string `json:"name"`
	// Consumers are a downstream credential's durable consumers, at most
	// 10; none: one named Name over every event of the tenant.
	Consumers []NATSConsumer `json:"consumers,omitempty"`
}

// NATSConsumer asks for one durable consumer of a downstream credential.
type NATSConsumer struct {
	Name string `json:"name"`
	// Filter is a subject within the tenant; empty: every event of the
	// tenant.
	Filter string `json:"filter,omitempty"`
}
