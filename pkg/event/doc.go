// Package event is Plaudit's public event contract: the CloudEvents 1.0
// envelope, the Go type of every event type and version, the subject each
// event is stored under, and the registry that decodes an envelope's data
// into its type, upcasting older versions.
//
// It is what downstream Go services import to read the stream. It does no
// I/O, makes no decisions and does not validate: the JSON Schemas in
// schemas/events are the language-neutral contract, every event is checked
// against them before it is appended (package schema), so what the stream
// holds is valid by construction and readers only decode.
package event
