package eventstore

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Kinds of publish errors, as the publish-errors counter names them.
const (
	// A conditional append met an aggregate that moved on: optimistic
	// concurrency at work, decided again by the caller; many of them
	// mean contention.
	publishConflict = "conflict"
	// An atomic batch held an id stored before.
	publishDuplicate = "duplicate"
	// JetStream did not answer, or refused for the moment.
	publishUnavailable = "unavailable"
	publishOther       = "other"
)

func newPublishErrors() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plaudit_eventstore_publish_errors_total",
		Help: "Appends to the event stream that JetStream refused or did not answer, by kind: conflict (a conditional append met an aggregate that moved on; decided again), duplicate (an atomic batch with an id stored before), unavailable (no answer in time, or no leader), other.",
	}, []string{"kind"})
	// Every kind is there from the start, so that a rate over it is 0
	// rather than nothing until the first error.
	for _, kind := range []string{publishConflict, publishDuplicate, publishUnavailable, publishOther} {
		c.WithLabelValues(kind)
	}
	return c
}

// publishFailed classifies an append's error (classify) and counts it.
func (s *Store) publishFailed(op string, err error) error {
	err = classify(op, err)
	kind := publishOther
	switch {
	case errors.Is(err, ErrConflict):
		kind = publishConflict
	case errors.Is(err, ErrDuplicate):
		kind = publishDuplicate
	case errors.Is(err, ErrUnavailable):
		kind = publishUnavailable
	}
	s.publishErrors.WithLabelValues(kind).Inc()
	return err
}

// Collector is the store's metrics, for a registry: its appends' errors.
func (s *Store) Collector() prometheus.Collector { return s.publishErrors }
