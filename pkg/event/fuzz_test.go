package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
)

// FuzzParse feeds outside input to the decoder every consumer runs on
// stream messages. It must never panic, must fail only with the documented
// errors, and whatever it accepts must survive an encode and decode
// unchanged, so that re-publishing a decoded event cannot alter it.
func FuzzParse(f *testing.F) {
	for name, sf := range schemaFiles(f) {
		if name == eventtest.EnvelopeFile {
			continue
		}
		for _, ex := range sf.Examples {
			f.Add([]byte(ex))
		}
	}
	for _, s := range samples(f) {
		_, b := envelopeOf(f, s)
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"specversion":"1.0"}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.recognition.kudos_given.v1","tenant":"acme","data":null}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.nope.v1","tenant":"acme","data":{}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.feedback.rating_received.v1","tenant":"acme","data":{"occurred_at":"0000-01-01T00:00:00+23:59"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := event.Parse(b)
		if err != nil {
			if !errors.Is(err, event.ErrMalformed) {
				t.Fatalf("Parse: undocumented error %v", err)
			}
			return
		}
		d, err := env.Decode()
		if err != nil {
			if !errors.Is(err, event.ErrMalformed) && !errors.Is(err, event.ErrUnknownType) {
				t.Fatalf("Decode: undocumented error %v", err)
			}
			return
		}
		_ = d.Key(env.ID)
		if _, err := env.StreamSubject(); err != nil {
			t.Fatalf("StreamSubject of a decodable event: %v", err)
		}

		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("encode decoded %s: %v", env.Type, err)
		}
		env.Data = raw
		if d.EventType() != env.Type { // an older version, upcast
			env.Type, env.DataSchema = d.EventType(), event.SchemaBase+event.SchemaFile(d.EventType())
		}
		b2, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("encode envelope: %v", err)
		}
		env2, err := event.Parse(b2)
		if err != nil {
			t.Fatalf("re-encoded envelope does not parse: %v\n%s", err, b2)
		}
		d2, err := env2.Decode()
		if err != nil {
			t.Fatalf("re-encoded data does not decode: %v\n%s", err, b2)
		}
		raw2, err := json.Marshal(d2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, raw2) {
			t.Fatalf("data changed on a round trip:\n%s\n%s", raw, raw2)
		}
	})
}
