// Package projector is the runtime every read model stands on, written once:
// a durable pull consumer per projection (Bind) that hands it the events on
// its own filter subjects (matched by the runtime, see filter.go for why),
// batch application in one store transaction (Tx: get, put, delete, scan)
// that also records the last applied stream sequence, acknowledgement only
// after that commit, dead-lettering of events the projection cannot take,
// retry with backoff of transient failures, rebuild from the first sequence
// beside the live model with an atomic swap, a check at each binding that
// the store was built from the stream there (a stream deleted and created
// again, or restored from an older copy, empties the store and rebuilds it:
// origin.go), metrics, and a span per event applied live that carries a
// trace (trace.go).
//
// A projection supplies only what is its own: its name, its filters and how
// one event changes its store (Projection.Apply). Queries read the store
// through Runner.View.
//
// It is not a general stream processor: a projection's store is a local
// Pebble database (store.go says why not bbolt). A read model emits no
// events; a process manager (the rules engine, engine.ProcessManager) is a
// projection whose Apply sends commands to the write side in its ctx.
package projector
