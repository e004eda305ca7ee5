package event

import (
	"sort"
	"strings"
)

// kind decodes one type and version into the newest Go type of its event.
type kind struct {
	decode func(raw []byte, unmarshal func([]byte, any) error) (Data, error)
	older  bool // read by upcasting, no longer written
}

// as registers the newest version of an event: its data decodes into T.
func as[T Data]() kind {
	return kind{decode: func(raw []byte, unmarshal func([]byte, any) error) (Data, error) {
		var v T
		err := unmarshal(raw, &v)
		return v, err
	}}
}

// upcast registers an older version: read as T, then turned into the
// newest version it means.
func upcast[T Data](up func(T) Data) kind {
	return kind{decode: func(raw []byte, unmarshal func([]byte, any) error) (Data, error) {
		var v T
		if err := unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return up(v), nil
	}, older: true}
}

// Current reports whether typ is a registered type in the version
// Plaudit writes, not an older one it only reads.
func Current(typ string) bool {
	k, ok := registry[typ]
	return ok && !k.older
}

// Types lists every registered type, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// SchemaFile is the file name of a type's JSON Schema under schemas/events:
// "plaudit.recognition.kudos_given.v1" -> "recognition.kudos_given.v1.json".
func SchemaFile(eventType string) string {
	return strings.TrimPrefix(eventType, Prefix+".") + ".json"
}
