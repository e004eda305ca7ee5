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

// Bulk ingestion: POST /v1/ratings:batch takes NDJSON (Content-Type
// application/x-ndjson), one RatingRequest a line, at most MaxRatingBatch
// of them, and answers 200 with NDJSON: one RatingResult a rating, in the
// order of the lines. Blank lines are skipped and answer nothing. It is
// idempotent per interaction, like POST /v1/ratings: a batch sent again
// stores nothing new and answers "replayed" for every rating. It is
// served over HTTP only: a batch of 10,000 ratings is larger than a NATS
// message may be (1 MiB by default).
const (
	RatingBatchRoute       = "POST /v1/ratings:batch"
	RatingBatchPath        = "/v1/ratings:batch"
	RatingBatchContentType = "application/x-ndjson"
	MaxRatingBatch         = 10_000
	// MaxRatingBatchBody bounds the body of a batch; a line may hold up
	// to 64 KiB, as the body of POST /v1/ratings.
	MaxRatingBatchBody = 32 << 20
)

// The statuses of a RatingResult.
const (
	RatingStored   = "stored"
	RatingReplayed = "replayed"
	RatingRefused  = "refused"
)

// RatingResult answers one rating of a batch. Line is its line number in
// the body, counting from 1, blank lines included. Status is "stored" (ID
// and Seq are the new event's), "replayed" (the interaction was rated
// before, by this batch or earlier: ID and Seq are the original's) or
// "refused": Problem says why, its Field naming the rating's field at
// fault ("score", "agent", …) or "line" when the line is not a JSON object.
type RatingResult struct {
	Line          int      `json:"line"`
	Status        string   `json:"status"`
	Platform      string   `json:"platform,omitempty"`
	InteractionID string   `json:"interaction_id,omitempty"`
	ID            string   `json:"id,omitempty"`
	Seq           uint64   `json:"seq,omitempty"`
	Problem       *Problem `json:"problem,omitempty"`
}
