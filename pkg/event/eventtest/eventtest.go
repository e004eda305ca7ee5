// Package eventtest checks events against Plaudit's published JSON Schemas
// (schemas/events), so that any package's tests can prove that what it
// appends is what the public contract promises.
//
// It is for tests only: Dir finds the schema files through this source
// file's location, so it works inside the repository and nowhere else.
package eventtest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
)

// EnvelopeFile is the schema every type schema refers to; it describes no
// type of its own.
const EnvelopeFile = schema.EnvelopeFile

// Dir is the directory holding the event schemas: schemas/events at the
// root of the repository this package was built from. When the build
// trimmed source paths (-trimpath), it is found by walking up from the
// working directory instead, which for a test is its package's directory.
func Dir() string {
	rel := filepath.Join("schemas", "events")
	// file is <root>/pkg/event/eventtest/eventtest.go.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Join(filepath.Dir(file), "..", "..", "..", rel)
	}
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, rel)); err == nil && fi.IsDir() {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}

// Compile compiles the schema of every event type from the copies
// embedded in the binary (schema.Compile).
func Compile() (map[string]*jsonschema.Schema, error) { return schema.Compile() }

// Check validates an envelope, as bytes from the stream, against the
// schema of its type: what the event store runs before every append
// (schema.Check). A failure unwraps to the *jsonschema.ValidationError.
func Check(envelopeJSON []byte) error { return schema.Check(envelopeJSON) }

// Validate fails the test, with the validator's detailed output, unless
// the envelope validates against the schema of its type. Use it on every
// envelope a test appends or reads:
//
//	b, _ := json.Marshal(env)
//	eventtest.Validate(t, b)
func Validate(tb testing.TB, envelopeJSON []byte) {
	tb.Helper()
	if err := Check(envelopeJSON); err != nil {
		var verr *jsonschema.ValidationError
		if errors.As(err, &verr) {
			tb.Errorf("event does not match its schema:\n%#v\nevent: %s", verr, envelopeJSON)
			return
		}
		tb.Errorf("%v\nevent: %s", err, envelopeJSON)
	}
}

// ValidateEnvelope marshals env as it is stored and validates it.
func ValidateEnvelope(tb testing.TB, env event.Envelope) {
	tb.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		tb.Errorf("eventtest: marshal %s: %v", env.Type, err)
		return
	}
	Validate(tb, b)
}

// Stored wraps d in an envelope as event.New does and returns it with its
// JSON as the stream stores it, or fails tb.
func Stored(tb testing.TB, tenant, id string, at time.Time, d event.Data) (event.Envelope, []byte) {
	tb.Helper()
	env, err := event.New(tenant, id, at, d)
	if err != nil {
		tb.Fatalf("eventtest: new %s: %v", d.EventType(), err)
	}
	return env, JSON(tb, env)
}

// JSON is v as encoding/json marshals it, or fails tb.
func JSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("eventtest: marshal %T: %v", v, err)
	}
	return b
}

// Message is d as the stream stores it, appended in tenant "acme" under a
// fixed id and time: for tests of what reads stream messages.
func Message(tb testing.TB, d event.Data) []byte {
	tb.Helper()
	_, b := Stored(tb, "acme", "01a207c7-d870-7dfc-af0c-706a8b43b1ca", time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), d)
	return b
}

// Kudos is a typical kudos: two recipients, one value, two points each.
func Kudos() event.KudosGiven {
	return event.KudosGiven{
		Giver: "ana", Recipients: []string{"bo", "cy"}, Message: "Thanks for staying on the outage bridge until it closed.",
		Values: []string{"ownership"}, Points: 2, Visibility: event.Public, Channel: event.ChannelAPI, Period: "day:2026-12-06", Spent: 4,
	}
}
