package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// MaxBody bounds a request body.
const MaxBody = 64 << 10

// decodeOptional is decode for a body that may be left empty: an empty one
// leaves v as it is.
func decodeOptional(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decode(body, v)
}

// decode reads exactly one JSON object into v, refusing unknown fields,
// wrong types and trailing data, and naming the field at fault.
func decode(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return badRequest("body", "a JSON object is required")
	}
	// json.Decoder accepts null for a struct and leaves it empty; only an
	// object is a request.
	if trimmed[0] != '{' {
		return badRequest("body", "expected a JSON object")
	}
	if err := checkKeys(json.NewDecoder(bytes.NewReader(body)), reflect.TypeOf(v), ""); err != nil && !errors.Is(err, errSyntax) {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("body", "unexpected data after the JSON object")
	}
	return nil
}

// checkKeys refuses, naming the member's path (allowance.amount,
// members[0].id), what encoding/json lets through silently or names
// without its path: a member named twice in one object (the last would
// win, so two readers of the same body could disagree), a member that
// matches a field only when case is ignored ("Message" for "message"), and
// a member no field takes. It walks the JSON beside t, the type it decodes
// into (nil where that is not known), and leaves syntax and type errors to
// the decoding proper.
func checkKeys(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return errSyntax
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = apiv1.Fields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return errSyntax
			}
			k, _ := kt.(string)
			p := path + k
			if k == "" {
				// A member without a name is named by its place.
				p = strings.TrimSuffix(path, ".") + `[""]`
			}
			if seen[k] {
				return badRequest(p, fmt.Sprintf("%q appears twice", p))
			}
			seen[k] = true
			var ft reflect.Type
			switch {
			case fields != nil:
				var ok bool
				if ft, ok = fields[k]; !ok {
					for name := range fields {
						if strings.EqualFold(name, k) {
							return badRequest(p, fmt.Sprintf("unknown field %q: names are case-sensitive; did you mean %q?", p, path+name))
						}
					}
					return badRequest(p, fmt.Sprintf("unknown field %q", p))
				}
			case t != nil && t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if err := checkKeys(dec, ft, p+"."); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return errSyntax
		}
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkKeys(dec, et, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return errSyntax
		}
	}
	return nil
}

// errSyntax stops checkKeys at JSON it cannot read; the decoding proper
// says what is wrong with it.
var errSyntax = errors.New("api: json syntax")

func decodeProblem(err error) *apiv1.Problem {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return badRequest("body", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return badRequest("body", "expected a JSON object")
		}
		return badRequest(field, fmt.Sprintf("%s must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			return badRequest("body", `unknown field ""`)
		}
		return badRequest(name, fmt.Sprintf("unknown field %q", name))
	}
	return badRequest("body", err.Error())
}

// jsonPath is the body's field of a type error's path: encoding/json
// names a field of an embedded struct through the struct's Go name
// ("Rated.score"), which is no field of the body. Every JSON name of the
// API is lower case.
func jsonPath(path string) string {
	parts := strings.Split(path, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	}
	return goKind
}

// decodeIn decodes the member name of a request body over v, which holds
// the defaults: a field left out keeps its default. Problems name the
// field from the top of the body ("rules.gap_days").
func decodeIn(name string, raw json.RawMessage, v any) error {
	err := decode(raw, v)
	var p *apiv1.Problem
	if errors.As(err, &p) {
		if p.Field == "body" || p.Field == "" {
			p.Field = name
		} else {
			p.Field = name + "." + p.Field
		}
		if p.Detail != "" {
			p.Detail = name + ": " + p.Detail
		}
	}
	return err
}
