// Package bench is what the benchmarks of the projections and the two
// benchmark commands under it share: a realistic workload published
// straight into the event stream (workload.go), a data dir that holds it
// and serves it first to bare consumers and then through a real engine
// (fixture.go), catch-up of a stream by a raw JetStream consumer and by a
// projector (catchup.go), the latency of concurrent reads (latency.go), and
// the pacing and lag sampling of the sustained-load run (sustained.go).
//
// Its commands are benchreport, the make bench driver, and rssprobe, which
// measures plauditd's peak RSS. It lives under internal, outside the
// product's folders, because nothing outside the module and nothing in
// production may import it: only benchmarks and those commands do. It is
// not a test double.
package bench
