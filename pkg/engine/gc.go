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
