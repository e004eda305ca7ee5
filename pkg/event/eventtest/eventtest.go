// Package eventtest checks events against Plaudit's published JSON Schemas
// (schemas/events), so that any package's tests can prove that what it
// appends is what the public contract promises.
//
// It is for tests only: it finds the schemas through this source file's
// location, so it works inside the repository and nowhere else. Production
// code decodes with event.Parse and Envelope.Decode and does not validate
// against the schemas.
package eventtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plaudit/plaudit/pkg/event"
)

// EnvelopeFile is the schema every type schema refers to; it describes no
// type of its own.
const EnvelopeFile = "envelope.v1.json"

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

// Compile loads every schema in Dir and compiles one per event type,
// keyed by type name ("plaudit.recognition.kudos_given.v1"). Each file's
// $id must be event.SchemaBase plus its file name, and its type the one
// event.SchemaFile names that file after. Formats (date-time, date, uuid,
// uri) are asserted, not just annotated.
func Compile() (map[string]*jsonschema.Schema, error) {
	dir := Dir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eventtest: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(offline{})
	var types []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		doc, err := load(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if want := event.SchemaBase + name; id != want {
			return nil, fmt.Errorf("eventtest: %s: $id is %q, want %q", name, id, want)
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("eventtest: %s: %w", name, err)
		}
		if name != EnvelopeFile {
			types = append(types, event.Prefix+"."+strings.TrimSuffix(name, ".json"))
		}
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("eventtest: no schemas in %s", dir)
	}
	sort.Strings(types)
	out := make(map[string]*jsonschema.Schema, len(types))
	for _, t := range types {
		s, err := c.Compile(event.SchemaBase + event.SchemaFile(t))
		if err != nil {
			return nil, fmt.Errorf("eventtest: compile %s: %w", t, err)
		}
		out[t] = s
	}
	return out, nil
}

// compiled holds the schemas, compiled once per test binary.
var compiled = sync.OnceValues(Compile)

// Check validates an envelope, as bytes from the stream, against the
// schema of its type. It returns an error when the schemas do not compile,
// when the input is not a JSON object with a type that has a schema, or
// when it does not validate; the error of the last case is a
// *jsonschema.ValidationError.
func Check(envelopeJSON []byte) error {
	schemas, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(envelopeJSON))
	if err != nil {
		return fmt.Errorf("eventtest: not JSON: %w", err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return errors.New("eventtest: envelope is not a JSON object")
	}
	typ, ok := obj["type"].(string)
	if !ok {
		return errors.New("eventtest: envelope has no string \"type\"")
	}
	s, ok := schemas[typ]
	if !ok {
		return fmt.Errorf("eventtest: no schema for type %q in %s", typ, Dir())
	}
	return s.Validate(inst)
}

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

func load(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eventtest: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("eventtest: %s: %w", filepath.Base(path), err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("eventtest: %s: not a JSON object", filepath.Base(path))
	}
	return doc, nil
}

// offline refuses to fetch anything: every schema Compile needs is added as
// a resource, and a $ref to anything else is a mistake in the schemas, not a
// reason to go to the network. The draft 2020-12 metaschema is built in.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("eventtest: refusing to load %s: not under %s", url, event.SchemaBase)
}
