package v1

import (
	"encoding/json"
	"time"
)

// Operations on webhook subscriptions, declared in the contract (Op).
var (
	OpCreateWebhook     = declareOp("webhooks.create", "POST /v1/webhooks", WebhookRequest{})
	OpListWebhooks      = declareOp("webhooks.list", "GET /v1/webhooks", nil)
	OpGetWebhook        = declareOp("webhooks.get", "GET /v1/webhooks/{id}", nil)
	OpDeleteWebhook     = declareOp("webhooks.delete", "DELETE /v1/webhooks/{id}", nil)
	OpRotateWebhook     = declareOp("webhooks.rotate", "POST /v1/webhooks/{id}/rotate", RotateRequest{})
	OpWebhookDeliveries = declareOp("webhooks.deliveries", "GET /v1/webhooks/{id}/deliveries", nil)
	OpRedeliverWebhook  = declareOp("webhooks.redeliver", "POST /v1/webhooks/{id}/redeliver", RedeliverRequest{})
)

// WebhookRequest is the body of POST /v1/webhooks (NATS: webhooks.create).
type WebhookRequest struct {
	// URL receives the deliveries: https, or http to a host the operator
	// allowed (--webhook-allow-http).
	URL string `json:"url"`
	// Types are the event types delivered; every type the tenant's
	// integration role may see when empty.
	Types []string `json:"types,omitempty"`
}

// RotateRequest is the body of POST /v1/webhooks/{id}/rotate.
type RotateRequest struct {
	// OverlapSeconds is how long the secrets before keep signing beside
	// the new one, so the receiver has time to take it: 24 hours when
	// absent, at most 7 days, 0 to stop them at once.
	OverlapSeconds *int `json:"overlap_seconds,omitempty"`
}

// RedeliverRequest is the body of POST /v1/webhooks/{id}/redeliver: the
// dead letter to send again, by stream sequence; every dead letter of the
// subscription, in order, when absent.
type RedeliverRequest struct {
	Seq *uint64 `json:"seq,omitempty"`
}

// Webhook is a subscription as the API shows it. The URL is shown
// without its query, which may carry a token.
type Webhook struct {
	ID             string     `json:"id"`
	URL            string     `json:"url"`
	Types          []string   `json:"types,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	// Secrets is how many secrets sign its deliveries now (more than one
	// while a rotation overlaps).
	Secrets int `json:"secrets"`
}

// CreatedWebhook answers webhooks.create and webhooks.rotate: Secret, the
// whsec_ signing secret, is shown only in this answer.
type CreatedWebhook struct {
	Webhook
	Secret string `json:"secret,omitempty"`
	Note   string `json:"note,omitempty"`
}

// WebhookList answers webhooks.list.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// DeadLetter is a delivery that ran out of retries.
type DeadLetter struct {
	EventID   string    `json:"event_id"`
	Type      string    `json:"type"`
	Seq       uint64    `json:"seq"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	At        time.Time `json:"at"`
}

// Deliveries answers webhooks.deliveries: the subscription's dead
// letters, in stream order, and where its deliveries stand.
type Deliveries struct {
	Dead []DeadLetter `json:"dead"`
	// Pending is how many events of the tenant wait to be considered for
	// delivery, Delivered the stream sequence of the last one done with.
	Pending   uint64 `json:"pending"`
	Delivered uint64 `json:"delivered"`
}

// Redelivered answers webhooks.redeliver.
type Redelivered struct {
	Redelivered []uint64 `json:"redelivered"`
}

// Operations on the chat integrations' settings, declared in the contract
// (Op); the id is the integration: "slack" or "teams".
var (
	OpConfigureIntegration = declareOp("integrations.configure", "PUT /v1/integrations/{id}", json.RawMessage{})
	OpGetIntegration       = declareOp("integrations.get", "GET /v1/integrations/{id}", nil)
	OpRemoveIntegration    = declareOp("integrations.remove", "DELETE /v1/integrations/{id}", nil)
)
