// Package event defines Plaudit's public event model: the CloudEvents 1.0
// envelope, the data of every event type and version, and the subject each
// event is stored under.
//
// It is what downstream Go services import to read the stream. It does no I/O
// and makes no decisions: validation of commands lives on the write side, the
// JSON Schemas in schemas/events are the language-neutral contract, and tests
// keep the two in step.
package event
