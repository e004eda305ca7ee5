// Package schema checks events against Plaudit's published JSON Schemas
// (schemas/events), with a real JSON Schema validator and the schemas
// embedded in the binary, compiled once.
//
// The event store checks every event here before it appends it, so what the
// stream holds is valid by construction and readers only decode. Domain
// rules a schema cannot express (allowance, self-recognition, specific
// messages) belong to the write side, not here.
package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/schemas/events"
)

// EnvelopeFile is the schema every type's schema refers to; it describes
// no type of its own.
const EnvelopeFile = "envelope.v1.json"

// ErrInvalid is returned (wrapped in an *Error) when an event breaks its
// schema.
var ErrInvalid = errors.New("event does not match its schema")

// Error is returned when an event breaks its type's schema. Field is the
// first offending field: a dotted path inside data ("recipients",
// "cause.event_id", "scores.stars_5"), or "envelope.<attribute>" for the
// envelope's own; Reason says what is wrong with it.
type Error struct {
	Type   string
	Field  string
	Reason string
	// Detail is the validator's whole report, nil when the event names no
	// known type.
	Detail *jsonschema.ValidationError
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Type, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Unwrap gives errors.As the validator's report.
func (e *Error) Unwrap() error {
	if e.Detail == nil {
		return nil
	}
	return e.Detail
}

// Compile compiles the schema of every event type, keyed by type name
// ("plaudit.recognition.kudos_given.v1"). Formats (date-time, date, uuid,
// uri) are asserted, not only annotated. It fails when a file's $id is not
// event.SchemaBase plus its name, or when a schema does not compile.
func Compile() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(offline{})
	names, err := fs.Glob(events.FS, "*.json")
	if err != nil {
		return nil, err
	}
	var types []string
	for _, name := range names {
		b, err := events.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		obj, _ := doc.(map[string]any)
		if id, _ := obj["$id"].(string); id != event.SchemaBase+name {
			return nil, fmt.Errorf("schema: %s: $id is %q, want %q", name, id, event.SchemaBase+name)
		}
		if err := c.AddResource(event.SchemaBase+name, doc); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		if name != EnvelopeFile {
			types = append(types, event.Prefix+"."+strings.TrimSuffix(name, ".json"))
		}
	}
	out := make(map[string]*jsonschema.Schema, len(types))
	for _, t := range types {
		s, err := c.Compile(event.SchemaBase + event.SchemaFile(t))
		if err != nil {
			return nil, fmt.Errorf("schema: compile %s: %w", t, err)
		}
		out[t] = s
	}
	return out, nil
}

// offline refuses to fetch: every schema is added from the embedded files.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema: %s is not one of the embedded schemas", url)
}

// compiled holds the schemas, compiled on first use. The embedded files are
// tested to compile, so an error here is a build that broke them.
var compiled = sync.OnceValues(Compile)

// Check validates an envelope in its stored JSON form against the schema of
// its type. It returns an *Error when the event breaks the schema (or names
// a type that has none), and another error only when the schemas
// themselves do not compile.
func Check(envelopeJSON []byte) error {
	return CheckWith(envelopeJSON, func(b []byte, v any) (err error) {
		*v.(*any), err = jsonschema.UnmarshalJSON(bytes.NewReader(b))
		return err
	})
}

// CheckWith is Check with another decoder of the JSON into an any, one that
// behaves as encoding/json's Unmarshal does; numbers may be float64 or
// json.Number.
func CheckWith(envelopeJSON []byte, unmarshal func([]byte, any) error) error {
	schemas, err := compiled()
	if err != nil {
		return err
	}
	var inst any
	if err := unmarshal(envelopeJSON, &inst); err != nil {
		return &Error{Field: "envelope", Reason: "not JSON: " + err.Error()}
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return &Error{Field: "envelope", Reason: "is not a JSON object"}
	}
	typ, ok := obj["type"].(string)
	if !ok {
		return &Error{Field: "envelope.type", Reason: "is required, a string"}
	}
	s, ok := schemas[typ]
	if !ok {
		return &Error{Type: typ, Field: "envelope.type", Reason: fmt.Sprintf("%q is not a known event type", typ)}
	}
	if err := s.Validate(inst); err != nil {
		var verr *jsonschema.ValidationError
		if !errors.As(err, &verr) {
			return err
		}
		field, reason := describe(verr)
		return &Error{Type: typ, Field: field, Reason: reason, Detail: verr}
	}
	return nil
}

var printer = message.NewPrinter(language.English)

// describe names the field of a leaf error and what is wrong with it. A
// leaf is an error that says why; those above it only say that a $ref or a
// property's schema failed. Of several leaves, one in data is named before
// one in the envelope (a bad id breaks both the data and the subject made
// from it, and the data field is what the sender wrote), then the first by
// location: the validator finds them in no fixed order.
func describe(e *jsonschema.ValidationError) (field, reason string) {
	var best *jsonschema.ValidationError
	var bestLoc []string
	for _, leaf := range leaves(e, nil) {
		loc := location(leaf)
		if best == nil || less(loc, bestLoc) {
			best, bestLoc = leaf, loc
		}
	}
	return fieldName(bestLoc), explain(best.ErrorKind)
}

// explain says what is wrong in the words of a refusal, for the kinds of
// error a sender meets most; the validator's own words otherwise.
func explain(k jsonschema.ErrorKind) string {
	num := func(r interface{ Float64() (float64, bool) }) float64 { f, _ := r.Float64(); return f }
	switch k := k.(type) {
	case *kind.Required:
		return "is required"
	case *kind.AdditionalProperties:
		return "is not a field of this event"
	case *kind.Minimum:
		return fmt.Sprintf("must be at least %v, got %v", num(k.Want), num(k.Got))
	case *kind.Maximum:
		return fmt.Sprintf("must be at most %v, got %v", num(k.Want), num(k.Got))
	case *kind.MinItems:
		return fmt.Sprintf("needs at least %d, got %d", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("has %d; at most %d", k.Got, k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("lists the same item twice (at %d and %d)", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("is %d characters long; at least %d", k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is %d characters long; the limit is %d", k.Got, k.Want)
	}
	return k.LocalizedString(printer)
}

// leaves appends the leaf errors under e to out.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// location is where a leaf error points: its instance location, and for a
// missing or unknown property, that property.
func location(e *jsonschema.ValidationError) []string {
	loc := slices.Clone(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		loc = append(loc, slices.Min(k.Missing))
	case *kind.AdditionalProperties:
		loc = append(loc, slices.Min(k.Properties))
	}
	return loc
}

// less orders locations: those in data first, then element by element.
func less(a, b []string) bool {
	inData := func(l []string) bool { return len(l) > 0 && l[0] == "data" }
	if inData(a) != inData(b) {
		return inData(a)
	}
	return slices.Compare(a, b) < 0
}

// fieldName turns an instance location into a field name: inside data it
// drops the "data" prefix ("/data/cause/event_id" -> "cause.event_id"),
// elsewhere it marks the envelope ("/tenant" -> "envelope.tenant").
// An array index is shown as one: "/data/recipients/2" -> "recipients[2]".
func fieldName(loc []string) string {
	var b strings.Builder
	if len(loc) == 0 || loc[0] != "data" {
		b.WriteString("envelope")
	} else if loc = loc[1:]; len(loc) == 0 {
		return "data"
	}
	for _, part := range loc {
		switch {
		case isIndex(part):
			b.WriteString("[" + part + "]")
		case b.Len() > 0:
			b.WriteString("." + part)
		default:
			b.WriteString(part)
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
