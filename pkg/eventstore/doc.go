// Package eventstore keeps Plaudit's events in one JetStream stream, the only
// source of truth. It appends envelopes with their id as Nats-Msg-Id, makes
// appends conditional on an aggregate's last sequence, appends several events
// atomically, and loads an aggregate's events back.
//
// It knows nothing of commands or projections; errors are classified once
// here (ErrConflict, ErrDuplicate, ErrUnavailable, ErrNotFound) so callers
// branch with errors.Is.
package eventstore
