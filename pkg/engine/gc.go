package engine

// DefaultGCPercent is the garbage collector's target (GOGC) plauditd runs
// with unless told otherwise: Go's own, which lets garbage grow to the
// size of the live heap between collections. plauditd once ran at 400,
// for the tail of read latency, at up to four times the live heap in
// garbage: most of its resident memory (internal/bench/rssprobe).
const DefaultGCPercent = 100

// DefaultMemoryLimitMiB is the soft limit on the Go runtime's memory
// (GOMEMLIMIT) plauditd sets unless told otherwise: above it the collector
// runs as often as it must, whatever DefaultGCPercent allows. It is what
// bounds a bulk import projected live, when the embedded JetStream's
// duplicate window and the projectors' batches in flight make the live
// heap largest; with Pebble's caches and memtables (outside the Go heap)
// it keeps plauditd under 768 MiB while loading. Raise it (or set
// GOMEMLIMIT) on larger machines, for faster imports.
const DefaultMemoryLimitMiB = 512
