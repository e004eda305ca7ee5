package engine

// DefaultGCPercent is the garbage collector's target (GOGC) plauditd runs
// with unless told otherwise. Go's default, 100, collects whenever the heap
// doubles; plauditd's live heap holds the directory, the kudos index and
// the projections' caches, and at 100 the collector ran so often that its
// assists set the tail of read latency: a feed page at a steady 1,000
// requests/s had a p99 of 11.5 ms at 100 and 2.8 ms at 400 (make bench,
// 2 cores). The price is up to four times the live heap in garbage between
// collections; GOMEMLIMIT caps the total where memory is tight.
const DefaultGCPercent = 400

// DefaultMemoryLimitMiB is the soft limit on the Go runtime's memory
// (GOMEMLIMIT) plauditd sets unless told otherwise: above it the collector
// runs as often as it must, whatever DefaultGCPercent allows. Loading
// 1,000,000 events and 100,000 members while projecting them live, peak
// RSS was 5.0 GiB at GOGC=400 without a limit and 2.1 GiB at GOGC=100;
// under this limit the garbage DefaultGCPercent lets pile up stays bounded
// while reads keep its short tails in steady state. Raise it (or set
// GOMEMLIMIT) for larger tenants and machines.
const DefaultMemoryLimitMiB = 2048
