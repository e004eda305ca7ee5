// Package command is Plaudit's write side: it validates commands, decides them
// against the aggregates' own events and appends the resulting events.
//
// Invariants hold here and nowhere else: a giver never spends more than the
// allowance of the current period however many requests race (the append is
// conditional on the giver's last sequence), nobody recognises themselves, a
// rating is stored once per platform and interaction. The pure decisions
// (message.go, period.go, allowance.go) do no I/O; Service wires them to the
// event store. Authentication and idempotency keys belong to the API layer.
package command
