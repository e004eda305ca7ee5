package event_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/event/schema"
)

// The schemas in schemas/events are the public contract and the Go types
// are what Plaudit writes and reads; these tests keep the two in step.

func TestSchemaForEveryType(t *testing.T) {
	t.Parallel()
	files := schemaFiles(t)
	for _, typ := range event.Types() {
		name := event.SchemaFile(typ)
		f, ok := files[name]
		switch {
		case !ok:
			t.Errorf("type %s has no schema %s", typ, name)
		case f.ID != event.SchemaBase+name:
			t.Errorf("%s: $id %q, want %q", name, f.ID, event.SchemaBase+name)
		}
	}
	for name := range files {
		if name == eventtest.EnvelopeFile {
			continue
		}
		typ := event.Prefix + "." + strings.TrimSuffix(name, ".json")
		if !slices.Contains(event.Types(), typ) {
			t.Errorf("schema %s describes %s, which is not a registered type", name, typ)
		}
	}
	schemas, err := eventtest.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != len(event.Types()) {
		t.Errorf("compiled %d schemas for %d types", len(schemas), len(event.Types()))
	}
}

func TestSamplesValidateAndRoundTrip(t *testing.T) {
	t.Parallel()
	sampled := map[string]bool{}
	for _, s := range samples(t) {
		sampled[s.data.EventType()] = true
	}
	for _, typ := range event.Types() {
		if !sampled[typ] {
			t.Errorf("no sample of %s: its Go type goes unchecked against its schema", typ)
		}
	}
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			env, b := envelopeOf(t, s)
			eventtest.Validate(t, b)

			got, err := event.Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, env) {
				t.Errorf("Parse = %+v, want %+v", got, env)
			}
			d, err := got.Decode()
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if want := latest(s.data); !reflect.DeepEqual(d, want) {
				t.Errorf("Decode = %#v, want %#v", d, want)
			}
			if _, err := got.StreamSubject(); err != nil {
				t.Errorf("StreamSubject: %v", err)
			}
		})
	}
}

// TestTraceContextValidates: the distributed-tracing extension attributes,
// optional, validate on every type when present, as a W3C traceparent and
// tracestate, and Parse reads them back; an envelope without them reads as
// it always did.
func TestTraceContextValidates(t *testing.T) {
	t.Parallel()
	const (
		parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		state  = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7 , tenant1@vendor=a b"
	)
	seen := map[string]bool{}
	for _, s := range samples(t) {
		if seen[s.data.EventType()] {
			continue
		}
		seen[s.data.EventType()] = true
		env, plain := envelopeOf(t, s)
		if strings.Contains(string(plain), "trace") {
			t.Fatalf("%s: an envelope without a trace context names one: %s", s.name, plain)
		}
		env.TraceParent, env.TraceState = parent, state
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		eventtest.Validate(t, b)
		got, err := event.Parse(b)
		if err != nil {
			t.Fatalf("%s: Parse: %v", s.name, err)
		}
		if got.TraceParent != parent || got.TraceState != state {
			t.Errorf("%s: Parse read traceparent %q, tracestate %q", s.name, got.TraceParent, got.TraceState)
		}
	}
}

// TestEnvelopeFieldsMatchSchema: the Go envelope and the envelope schema
// name the same attributes, required exactly when the Go field is not
// omitempty (traceparent and tracestate are the optional ones).
func TestEnvelopeFieldsMatchSchema(t *testing.T) {
	t.Parallel()
	envelope := readSchema(t, eventtest.EnvelopeFile)
	r := resolver{docs: map[string]map[string]any{"": envelope, eventtest.EnvelopeFile: envelope}}
	r.compare(t, "envelope", reflect.TypeFor[event.Envelope](), envelope)
}

// TestSchemaExamples: every type's schema has examples, each exactly what
// Plaudit writes for the data it holds: the round trip of every type.
func TestSchemaExamples(t *testing.T) {
	t.Parallel()
	for name, f := range schemaFiles(t) {
		if name == eventtest.EnvelopeFile {
			continue
		}
		typ := event.Prefix + "." + strings.TrimSuffix(name, ".json")
		if len(f.Examples) == 0 {
			t.Errorf("%s has no examples", name)
		}
		for i, ex := range f.Examples {
			eventtest.Validate(t, ex)
			env, err := event.Parse(ex)
			if err != nil {
				t.Errorf("%s example %d: Parse: %v", name, i, err)
				continue
			}
			d, err := env.Decode()
			if err != nil {
				t.Errorf("%s example %d: Decode: %v", name, i, err)
				continue
			}
			if env.Type != typ || d.EventType() != typ {
				// An older version is read as the newest, and Plaudit no
				// longer writes it.
				if event.Current(env.Type) {
					t.Errorf("%s example %d is a %s decoded as %s", name, i, env.Type, d.EventType())
				}
				continue
			}
			if b, ok := d.(event.AllowanceBoosted); ok && b.BoostID != env.ID {
				t.Errorf("%s example %d: boost_id %s is not the event id %s", name, i, b.BoostID, env.ID)
			}
			// The example must be exactly what Plaudit writes: the envelope
			// New builds around the decoded data, nothing lost or added.
			want, err := event.New(env.Tenant, env.ID, env.Time, d)
			if err != nil {
				t.Fatalf("%s example %d: New: %v", name, i, err)
			}
			wantJSON, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, wantJSON, ex) {
				t.Errorf("%s example %d differs from what Plaudit writes:\n got %s\nwant %s", name, i, ex, wantJSON)
			}
		}
	}
}

// TestDataFieldsMatchSchema walks every Go data type and its schema's data
// definition together: same field names, required exactly when the field is
// not omitempty, and compatible JSON types, down into nested objects.
func TestDataFieldsMatchSchema(t *testing.T) {
	t.Parallel()
	envelope := readSchema(t, eventtest.EnvelopeFile)
	seen := map[string]bool{}
	for _, s := range samples(t) {
		typ := s.data.EventType()
		if seen[typ] {
			continue
		}
		seen[typ] = true
		doc := readSchema(t, event.SchemaFile(typ))
		r := resolver{docs: map[string]map[string]any{"": doc, eventtest.EnvelopeFile: envelope}}
		data := r.resolve(t, doc["$defs"].(map[string]any)["data"].(map[string]any))
		r.compare(t, typ+" data", reflect.TypeOf(s.data), data)
	}
}

type resolver struct {
	docs map[string]map[string]any // by file name; "" is the current one
}

// resolve merges a node with the target of its $ref, if any.
func (r resolver) resolve(t *testing.T, node map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	file, ptr, _ := strings.Cut(ref, "#")
	target := any(r.docs[file])
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		m, ok := target.(map[string]any)
		if !ok {
			t.Fatalf("cannot resolve %s", ref)
		}
		target = m[tok]
	}
	m, ok := target.(map[string]any)
	if !ok {
		t.Fatalf("cannot resolve %s", ref)
	}
	merged := map[string]any{}
	for k, v := range r.resolve(t, m) {
		merged[k] = v
	}
	for k, v := range node {
		if k != "$ref" {
			merged[k] = v
		}
	}
	return merged
}

// jsonType is the JSON type a schema node allows, from type, const or enum.
func jsonType(node map[string]any) string {
	if s, ok := node["type"].(string); ok {
		return s
	}
	values, _ := node["enum"].([]any)
	if c, ok := node["const"]; ok {
		values = append(values, c)
	}
	kind := ""
	for _, v := range values {
		k := "other"
		if _, ok := v.(string); ok {
			k = "string"
		}
		if kind != "" && kind != k {
			return "mixed"
		}
		kind = k
	}
	return kind
}

func (r resolver) compare(t *testing.T, path string, typ reflect.Type, node map[string]any) {
	t.Helper()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Int: "integer", reflect.Bool: "boolean",
		reflect.Slice: "array", reflect.Struct: "object",
	}[typ.Kind()]
	switch typ {
	case reflect.TypeFor[time.Time]():
		want = "string"
	case reflect.TypeFor[json.RawMessage]():
		want = "object" // the envelope's data; each type's schema describes it
	}
	if got := jsonType(node); got != want {
		t.Errorf("%s: Go %s is JSON %s, schema says %q", path, typ, want, got)
		return
	}
	switch {
	case typ == reflect.TypeFor[json.RawMessage]():
	case typ.Kind() == reflect.Slice:
		items, ok := node["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: array without items", path)
			return
		}
		r.compare(t, path+"[]", typ.Elem(), r.resolve(t, items))
	case typ.Kind() == reflect.Struct && typ.String() != "time.Time":
		if node["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties must be false", path)
		}
		props, _ := node["properties"].(map[string]any)
		var required []string
		req, _ := node["required"].([]any)
		for _, v := range req {
			if name, ok := v.(string); ok {
				required = append(required, name)
			}
		}
		fields := map[string]bool{}
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = true
			omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
			if slices.Contains(required, name) == omitempty {
				t.Errorf("%s.%s: omitempty is %v, so required must be %v", path, name, omitempty, !omitempty)
			}
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: Go field %s has no schema property", path, name, f.Name)
				continue
			}
			if _, ok := p["description"].(string); !ok {
				t.Errorf("%s.%s: no description", path, name)
			}
			r.compare(t, path+"."+name, f.Type, r.resolve(t, p))
		}
		for name := range props {
			if !fields[name] {
				t.Errorf("%s.%s: schema property has no Go field", path, name)
			}
		}
	}
}

func readSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	var doc map[string]any
	b := mustRead(t, name)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestSchemasRefuse proves the schemas are not vacuous: each case breaks
// one rule of a valid envelope, which must then fail validation.
func TestSchemasRefuse(t *testing.T) {
	t.Parallel()
	base := map[string][]byte{}
	for _, s := range samples(t) {
		if _, ok := base[s.data.EventType()]; !ok {
			_, base[s.data.EventType()] = envelopeOf(t, s)
		}
	}
	// Each case edits the envelope e and its data d, decoded as generic
	// JSON; validation must then fail at the JSON pointer at, or below it.
	type edit struct {
		at string
		fn func(e, d map[string]any)
	}
	set := func(k string, v any) edit { return edit{"/data/" + k, func(_, d map[string]any) { d[k] = v }} }
	del := func(k string) edit { return edit{"/data", func(_, d map[string]any) { delete(d, k) }} }
	setEnv := func(k string, v any) edit { return edit{"/" + k, func(e, _ map[string]any) { e[k] = v }} }
	delEnv := func(k string) edit { return edit{"", func(e, _ map[string]any) { delete(e, k) }} }
	score := func(scale string, score int) edit {
		return edit{"/data/score", func(_, d map[string]any) { d["scale"], d["score"] = scale, score }}
	}
	ids := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = "m" + strings.Repeat("x", i)
		}
		return out
	}
	tests := []struct {
		name string
		typ  string
		edit edit
	}{
		// envelope
		{"specversion 0.3", event.TypeKudosGiven, setEnv("specversion", "0.3")},
		{"extra envelope attribute", event.TypeKudosGiven, edit{"", setEnv("partitionkey", "acme").fn}},
		{"traceparent truncated", event.TypeKudosGiven, setEnv("traceparent", "00-abc")},
		{"traceparent upper case", event.TypeKudosGiven, setEnv("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")},
		{"traceparent of a future version", event.TypeKudosGiven, setEnv("traceparent", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
		{"traceparent not a string", event.TypeKudosGiven, setEnv("traceparent", 1)},
		{"tracestate without a value", event.TypeKudosGiven, setEnv("tracestate", "congo")},
		{"tracestate key upper case", event.TypeKudosGiven, setEnv("tracestate", "Congo=t61rcWkgMzE")},
		{"tracestate value with a comma", event.TypeKudosGiven, setEnv("tracestate", "congo=a,,b")},
		{"tracestate value of 257 characters", event.TypeKudosGiven, setEnv("tracestate", "k="+strings.Repeat("v", 257))},
		{"tracestate of 527 characters", event.TypeKudosGiven, setEnv("tracestate", strings.TrimSuffix(strings.Repeat("k="+strings.Repeat("v", 41)+",", 12), ","))},
		{"no time", event.TypeKudosGiven, delEnv("time")},
		{"time not UTC", event.TypeKudosGiven, setEnv("time", "2026-11-23T10:41:07.312+01:00")},
		{"time not a time", event.TypeKudosGiven, setEnv("time", "yesterday")},
		{"id not a UUID", event.TypeKudosGiven, setEnv("id", "kudos-1")},
		{"id upper case", event.TypeKudosGiven, setEnv("id", "01A21DF8-512C-72C5-B643-E6E5572ED832")},
		{"tenant upper case", event.TypeKudosGiven, setEnv("tenant", "Acme")},
		{"tenant with a dot", event.TypeKudosGiven, setEnv("tenant", "acme.eu")},
		{"tenant empty", event.TypeKudosGiven, setEnv("tenant", "")},
		{"no source", event.TypeKudosGiven, delEnv("source")},
		{"datacontenttype xml", event.TypeKudosGiven, setEnv("datacontenttype", "application/xml")},
		{"dataschema of another type", event.TypeKudosGiven, setEnv("dataschema", event.SchemaBase+event.SchemaFile(event.TypeReactionAdded))},
		{"subject of another aggregate", event.TypeKudosGiven, setEnv("subject", "member/ana")},
		{"data null", event.TypeKudosGiven, setEnv("data", nil)},
		{"no data", event.TypeKudosGiven, delEnv("data")},
		{"kudos data under the reaction type", event.TypeKudosGiven, edit{"/data", func(e, _ map[string]any) {
			e["type"] = event.TypeReactionAdded
			e["dataschema"] = event.SchemaBase + event.SchemaFile(event.TypeReactionAdded)
		}}},
		// kudos given
		{"kudos without recipients", event.TypeKudosGiven, set("recipients", []any{})},
		{"kudos recipients null", event.TypeKudosGiven, set("recipients", nil)},
		{"kudos with duplicate recipients", event.TypeKudosGiven, set("recipients", []any{"bruno", "bruno"})},
		{"kudos with 21 recipients", event.TypeKudosGiven, set("recipients", ids(21))},
		{"kudos recipient not an id", event.TypeKudosGiven, set("recipients", []any{"Bruno"})},
		{"kudos bad visibility", event.TypeKudosGiven, set("visibility", "team")},
		{"kudos bad channel", event.TypeKudosGiven, set("channel", "email")},
		{"kudos extra data field", event.TypeKudosGiven, edit{"/data", set("mood", "happy").fn}},
		{"kudos points 0", event.TypeKudosGiven, set("points", 0)},
		{"kudos points 101", event.TypeKudosGiven, set("points", 101)},
		{"kudos points fractional", event.TypeKudosGiven, set("points", 1.5)},
		{"kudos points a string", event.TypeKudosGiven, set("points", "2")},
		{"kudos empty message", event.TypeKudosGiven, set("message", "")},
		{"kudos message 2001 characters", event.TypeKudosGiven, set("message", strings.Repeat("é", 2001))},
		{"kudos values null", event.TypeKudosGiven, set("values", nil)},
		{"kudos values missing", event.TypeKudosGiven, del("values")},
		{"kudos 11 values", event.TypeKudosGiven, set("values", ids(11))},
		{"kudos duplicate values", event.TypeKudosGiven, set("values", []any{"craft", "craft"})},
		{"kudos value not an id", event.TypeKudosGiven, set("values", []any{"Customer First"})},
		{"kudos period without kind", event.TypeKudosGiven, set("period", "2026-11-23")},
		{"kudos period month 13", event.TypeKudosGiven, set("period", "month:2026-13")},
		{"kudos period week 54", event.TypeKudosGiven, set("period", "week:2026-W54")},
		{"kudos spent negative", event.TypeKudosGiven, set("spent", -1)},
		{"kudos spent 2001", event.TypeKudosGiven, set("spent", 2001)},
		{"kudos without giver", event.TypeKudosGiven, del("giver")},
		{"kudos cause without type", event.TypeKudosGiven, set("cause", map[string]any{"event_id": "x"})},
		{"kudos cause with extra field", event.TypeKudosGiven, set("cause", map[string]any{"event_id": "x", "type": "y", "z": 1})},
		{"kudos cause null", event.TypeKudosGiven, set("cause", nil)},
		// reaction added
		{"reaction with a word", event.TypeReactionAdded, set("emoji", "ok")},
		{"reaction with eleven emoji", event.TypeReactionAdded, set("emoji", strings.Repeat("👍", 11))},
		{"reaction with a space", event.TypeReactionAdded, set("emoji", "🎉 ")},
		{"reaction short code upper case", event.TypeReactionAdded, set("emoji", ":Tada:")},
		{"reaction empty short code", event.TypeReactionAdded, set("emoji", "::")},
		{"reaction kudos_id not a UUID", event.TypeReactionAdded, set("kudos_id", "abc")},
		{"reaction without member", event.TypeReactionAdded, del("member")},
		// kudos retracted
		{"retraction by a manager", event.TypeKudosRetracted, set("by_role", "manager")},
		{"retraction without reason", event.TypeKudosRetracted, set("reason", "")},
		{"retraction reason 501 characters", event.TypeKudosRetracted, set("reason", strings.Repeat("r", 501))},
		{"retraction refund negative", event.TypeKudosRetracted, set("refunded", -4)},
		{"retraction without period", event.TypeKudosRetracted, del("period")},
		// rating received
		{"rating unknown scale", event.TypeRatingReceived, set("scale", "stars_10")},
		{"rating 6 stars", event.TypeRatingReceived, set("score", 6)},
		{"rating 0 stars", event.TypeRatingReceived, set("score", 0)},
		{"rating csat 0", event.TypeRatingReceived, score("csat_5", 0)},
		{"rating nps 11", event.TypeRatingReceived, score("nps_10", 11)},
		{"rating negative score", event.TypeRatingReceived, score("nps_10", -1)},
		{"rating bad channel", event.TypeRatingReceived, set("channel", "sms")},
		{"rating handle time over a day", event.TypeRatingReceived, set("handle_time_seconds", 86401)},
		{"rating negative handle time", event.TypeRatingReceived, set("handle_time_seconds", -1)},
		{"rating interaction with a space", event.TypeRatingReceived, set("interaction_id", "conv 1")},
		{"rating interaction 129 characters", event.TypeRatingReceived, set("interaction_id", strings.Repeat("x", 129))},
		{"rating empty interaction", event.TypeRatingReceived, set("interaction_id", "")},
		{"rating occurred_at with offset", event.TypeRatingReceived, set("occurred_at", "2026-11-23T10:38:12+01:00")},
		{"rating occurred_at a date", event.TypeRatingReceived, set("occurred_at", "2026-11-23")},
		{"rating empty comment", event.TypeRatingReceived, set("comment", "")},
		{"rating platform upper case", event.TypeRatingReceived, set("platform", "Genesys")},
		// member upserted
		{"member without time zone", event.TypeMemberUpserted, del("time_zone")},
		{"member time zone with space", event.TypeMemberUpserted, set("time_zone", "Europe/ Lisbon")},
		{"member empty manager", event.TypeMemberUpserted, set("manager", "")},
		{"member active a string", event.TypeMemberUpserted, set("active", "yes")},
		{"member name 201 characters", event.TypeMemberUpserted, set("name", strings.Repeat("n", 201))},
		{"member empty name", event.TypeMemberUpserted, set("name", "")},
		{"member team not an id", event.TypeMemberUpserted, set("team", "Payments EU")},
		// member left
		{"left with empty reason", event.TypeMemberLeft, set("reason", "")},
		{"left without member", event.TypeMemberLeft, del("member")},
		// policy set
		{"policy yearly allowance", event.TypePolicySet, set("allowance", map[string]any{"amount": 5, "period": "year"})},
		{"policy allowance 0", event.TypePolicySet, set("allowance", map[string]any{"amount": 0, "period": "day"})},
		{"policy allowance 1001", event.TypePolicySet, set("allowance", map[string]any{"amount": 1001, "period": "day"})},
		{"policy duplicate values", event.TypePolicySet, set("values", []any{"craft", "craft"})},
		{"policy 51 values", event.TypePolicySet, set("values", ids(51))},
		{"policy values null", event.TypePolicySet, set("values", nil)},
		{"policy min length 0", event.TypePolicySet, set("message_rules", map[string]any{"min_length": 0, "reject_generic": true})},
		{"policy rule without reject_generic", event.TypePolicySet, set("message_rules", map[string]any{"min_length": 20})},
		{"policy extra rule", event.TypePolicySet, set("message_rules", map[string]any{"min_length": 20, "reject_generic": true, "max_length": 9})},
		// allowance boosted
		{"boost of member and team", event.TypeAllowanceBoosted, edit{"/data", set("member", "chen-li").fn}},
		{"boost of nobody", event.TypeAllowanceBoosted, del("team")},
		{"boost date not ISO", event.TypeAllowanceBoosted, set("from", "23/11/2026")},
		{"boost date does not exist", event.TypeAllowanceBoosted, set("to", "2026-02-30")},
		{"boost of 0 points", event.TypeAllowanceBoosted, set("points", 0)},
		{"boost id not a UUID", event.TypeAllowanceBoosted, set("boost_id", "b1")},
		{"boost without by", event.TypeAllowanceBoosted, del("by")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ok := base[tt.typ]
			if !ok {
				t.Fatalf("no sample of %s", tt.typ)
			}
			var e map[string]any
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			d, _ := e["data"].(map[string]any)
			tt.edit.fn(e, d)
			out, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			err = eventtest.Check(out)
			if err == nil {
				t.Fatalf("validated, want a failure at %q: %s", tt.edit.at, out)
			}
			var verr *jsonschema.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("want a validation error, got %v", err)
			}
			at := failedAt(verr)
			if !slices.ContainsFunc(at, func(p string) bool { return p == tt.edit.at || strings.HasPrefix(p, tt.edit.at+"/") }) {
				t.Errorf("failed at %q, want at %q:\n%#v", at, tt.edit.at, verr)
			}
			// The check the event store runs before an append refuses it
			// and names a field.
			var serr *schema.Error
			if !errors.As(err, &serr) || serr.Field == "" {
				t.Errorf("Check: %v, want a *schema.Error naming a field", err)
			}
		})
	}
}

// failedAt lists the instance locations, as JSON pointers, of the
// innermost failures of a validation.
func failedAt(err *jsonschema.ValidationError) []string {
	if len(err.Causes) == 0 {
		ptr := ""
		for _, tok := range err.InstanceLocation {
			ptr += "/" + tok
		}
		return []string{ptr}
	}
	var out []string
	for _, c := range err.Causes {
		out = append(out, failedAt(c)...)
	}
	return out
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventtest.Dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// latest is d as the newest version of its type.
func latest(d event.Data) event.Data {
	switch old := d.(type) {
	case event.PolicySetV1:
		return old.Upcast()
	case event.MemberUpsertedV1:
		return old.Upcast()
	}
	return d
}
