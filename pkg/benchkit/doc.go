// Package benchkit is what the read-side benchmarks of the projections and
// cmd/rssprobe share: a realistic workload published straight into the
// event stream (workload.go), a data dir that holds it and serves it first
// to bare consumers and then through a real engine (fixture.go), catch-up
// of a stream by a raw JetStream consumer and by a projector (catchup.go),
// and the latency of concurrent reads (latency.go).
//
// It exists for the make bench driver (cmd/benchreport) and the
// projections' benchmarks, which is why it lives under pkg: projections may
// import pkg, never cmd. It is not a test double and nothing in production
// imports it.
package benchkit
