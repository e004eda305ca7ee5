package v1

// ProjectionList answers GET /v1/projections.
type ProjectionList struct {
	Projections []ProjectionStatus `json:"projections"`
}

// ProjectionStatus is one projection replica's position: the last stream
// sequence it applied, its lag behind the stream, the events it applied
// and dead-lettered, and whether it is rebuilding (projector.Status).
type ProjectionStatus struct {
	Name         string `json:"name"`
	Replica      string `json:"replica"`
	LastSeq      uint64 `json:"last_seq"`
	Lag          uint64 `json:"lag"`
	Applied      uint64 `json:"applied"`
	DeadLettered uint64 `json:"dead_lettered"`
	Rebuilding   bool   `json:"rebuilding"`
	// Fault is why the projection cannot serve (projector.Runner.Fault),
	// empty when it can.
	Fault string `json:"fault,omitempty"`
}

// RebuildStarted answers POST /v1/projections/{name}/rebuild, with status
// 202: the rebuild runs in the background while the live model serves.
type RebuildStarted struct {
	// Status is "rebuilding".
	Status     string `json:"status"`
	Projection string `json:"projection"`
}
