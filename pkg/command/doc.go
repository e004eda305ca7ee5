// Package command is Plaudit's write side: it checks commands against what
// no JSON Schema can know, decides them against the aggregates' own events
// and appends the resulting events.
//
// Invariants hold here and nowhere else: a giver never spends more than the
// allowance of the current period however many requests race (the append is
// conditional on the giver's last sequence), nobody recognises themselves, a
// rating is stored once per platform and interaction.
//
// A command is checked against the directory and the tenant's rules (is
// the recipient an active member, is the message specific), then decided by
// a pure function of the aggregate's folded state (decideGive,
// decideRetract, …), which does no I/O and is tested as given events, when
// a command, then events or a refusal. update (aggregate.go) is the one
// loop that reads the aggregate, decides, appends conditionally and decides
// again on a conflict. What an event may hold (ranges, enums, lengths, id
// patterns) is its schema's: the event store checks every event before it
// appends it, and a refusal names the command's field.
//
// Authentication and idempotency keys belong to the API layer.
package command
