package engine

// DefaultGCPercent is the garbage collector's target (GOGC) plauditd runs
// with unless told otherwise. Go's default, 100, collects whenever the heap
// doubles; plauditd's live heap holds the directory and the kudos index,
// and at 100 the collector runs so often that its assists set the tail of
// read latency (the read benchmarks of make bench show it). The price is up
// to four times the live heap in garbage between collections; GOMEMLIMIT
// caps the total where memory is tight.
const DefaultGCPercent = 400

// DefaultMemoryLimitMiB is the soft limit on the Go runtime's memory
// (GOMEMLIMIT) plauditd sets unless told otherwise: above it the collector
// runs as often as it must, whatever DefaultGCPercent allows: loading a
// large tenant while projecting it live, the garbage DefaultGCPercent lets
// pile up stays bounded, while reads keep its short tails in steady state.
// Raise it (or set GOMEMLIMIT) for larger tenants and machines.
const DefaultMemoryLimitMiB = 2048
