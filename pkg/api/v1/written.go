package v1

// Written answers every command that appends events (all but the key and
// NATS credential operations): the events appended or, when the command
// was carried out before (a retry), appended then. Status 201, or 200 for
// a replay.
type Written struct {
	// ID is the first event's id: the kudos's, the boost's and so on.
	ID string `json:"id"`
	// Seq is the last event's stream sequence: a read with min_seq=Seq
	// reflects the write.
	Seq    uint64         `json:"seq"`
	Events []WrittenEvent `json:"events"`
	// Replayed is true when the command had been carried out before.
	Replayed bool `json:"replayed,omitempty"`
}

// WrittenEvent is one appended event.
type WrittenEvent struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	Subject string `json:"subject"`
}
