package v1

// Operations on ratings, declared in the contract (Op).
var (
	OpRecordRating   = declareOp("ratings.record", "POST /v1/ratings", RatingRequest{})
	OpCorrectRating  = declareOp("ratings.correct", "PUT /v1/ratings/{id...}", CorrectionRequest{})
	OpWithdrawRating = declareOp("ratings.withdraw", "DELETE /v1/ratings/{id...}", WithdrawalRequest{})
)

// RatingRequest is the body of POST /v1/ratings (NATS: ratings.record): a
// customer's rating of an agent's interaction.
type RatingRequest struct {
	Platform      string `json:"platform"`
	InteractionID string `json:"interaction_id"`
	Rated
}

// CorrectionRequest is the body of PUT
// /v1/ratings/{platform}/{interaction_id} (NATS: ratings.correct): the whole
// rating as it now stands, OccurredAt required.
type CorrectionRequest struct {
	Rated
	Reason string `json:"reason,omitempty"`
}

// Rated is what a customer rated: the agent, the score and the interaction.
type Rated struct {
	Agent string `json:"agent"`
	// Score, on Scale, is required.
	Score *int `json:"score"`
	// Scale is "stars_5", "csat_5" or "nps_10".
	Scale   string `json:"scale"`
	Comment string `json:"comment,omitempty"`
	// Channel is "voice", "chat", "email" or "other".
	Channel           string `json:"channel"`
	HandleTimeSeconds int    `json:"handle_time_seconds"`
	// OccurredAt is an RFC 3339 time; empty is now when recording.
	OccurredAt string `json:"occurred_at"`
}

// WithdrawalRequest is the body of DELETE
// /v1/ratings/{platform}/{interaction_id} (NATS: ratings.withdraw); it may be
// empty.
type WithdrawalRequest struct {
	Reason string `json:"reason"`
}
