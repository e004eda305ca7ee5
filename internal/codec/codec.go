// Package codec reads stream messages for the projector runtime and the
// analytics projector (event.Read), and checks events against their schemas
// for the event store (schema.Check), with goccy/go-json in place of
// encoding/json. Every projector decodes every event it takes, so decoding
// is a large share of a catch-up, and goccy/go-json decodes an envelope
// several times faster (BenchmarkRead in this package compares the two on
// the same message).
//
// Unlike encoding/json, goccy/go-json does not check the syntax of values
// it skips (a field no Go type has), and keeps bytes that are not UTF-8
// where encoding/json puts U+FFFD. The stream holds only events encoded by
// encoding/json and checked against their schemas before they were
// appended: valid JSON in valid UTF-8, on which FuzzReadMatchesEvent holds
// Read to event.Read: the two accept alike and decode alike.
//
// It is not part of the contract: downstream services use package event.
package codec

import (
	gojson "github.com/goccy/go-json"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
)

// Read parses a stream message and decodes its data, as event.Read does.
func Read(b []byte) (event.Envelope, event.Data, error) {
	e, err := event.ParseWith(b, gojson.Unmarshal)
	if err != nil {
		return event.Envelope{}, nil, err
	}
	d, err := e.DecodeWith(gojson.Unmarshal)
	if err != nil {
		return event.Envelope{}, nil, err
	}
	return e, d, nil
}

// Check checks an event encoded by encoding/json against its schema, as
// schema.Check does. The schema check is a third of what a rating of a
// bulk import costs, and decoding the event for it half of that:
// goccy/go-json decodes it about three times faster (BenchmarkCheck in this
// package compares the two on the same event). Numbers come out as float64
// rather than json.Number, exact for every bound the schemas set (the
// largest is in the thousands). FuzzCheckMatchesSchema holds the two to the
// same verdicts on valid JSON.
func Check(envelopeJSON []byte) error { return schema.CheckWith(envelopeJSON, gojson.Unmarshal) }
