package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
)

// Decode validates data in plain Go (Validate and a check of the raw JSON),
// because running the schema validator on every event would cost more
// than the rest of a catch-up. These tests hold the two to the same
// verdicts: TestSchemasRefuse, TestSchemaExamples and
// TestSamplesValidateAndRoundTrip on the cases they already have, the
// tests here on edits of every field and single characters, and
// FuzzValidateMatchesSchema on whatever the fuzzer makes of the samples.

// references holds a valid envelope of every type, into which data is put
// to ask the schema about the data alone: Decode does not check envelope
// attributes beyond what Parse requires.
func references(tb testing.TB) map[string]event.Envelope {
	tb.Helper()
	out := map[string]event.Envelope{}
	for _, s := range samples(tb) {
		if _, ok := out[s.data.EventType()]; !ok {
			out[s.data.EventType()], _ = envelopeOf(tb, s)
		}
	}
	return out
}

// schemaCheck validates data, in the reference envelope of typ, against
// the schema of typ: nil or a *jsonschema.ValidationError.
func schemaCheck(tb testing.TB, refs map[string]event.Envelope, typ string, data []byte) error {
	tb.Helper()
	ref, ok := refs[typ]
	if !ok {
		tb.Fatalf("no reference envelope of %s", typ)
	}
	ref.Data = data
	b, err := json.Marshal(ref)
	if err != nil {
		tb.Fatalf("marshal %s with data %q: %v", typ, data, err)
	}
	err = eventtest.Check(b)
	var verr *jsonschema.ValidationError
	if err != nil && !errors.As(err, &verr) {
		tb.Fatalf("schema check of %s: %v", typ, err)
	}
	return err
}

// undecodable names what the Go types cannot decode although the schema
// accepts it, or returns "". These are the only events Decode may refuse
// that the schema accepts:
//   - an integer written with a fraction or an exponent (2.0, 2e0), which
//     schemas/README.md rules out ("Integers are written as plain
//     integers") but the schemas' "type": "integer" accepts;
//   - a leap second (23:59:60Z), valid RFC 3339 that time.Time cannot hold;
//   - a time with JSON escapes in it, which time.Time's decoder does not
//     unescape.
func undecodable(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return ""
	}
	var plain func(any) bool
	plain = func(v any) bool {
		switch v := v.(type) {
		case json.Number:
			return !strings.ContainsAny(string(v), ".eE")
		case []any:
			return !slices.ContainsFunc(v, func(x any) bool { return !plain(x) })
		case map[string]any:
			for _, x := range v {
				if !plain(x) {
					return false
				}
			}
		}
		return true
	}
	if !plain(v) {
		return "an integer written with a fraction or exponent"
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return ""
	}
	for _, name := range []string{"occurred_at", "deliver_at", "expires_at"} {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var s string
		switch {
		case bytes.ContainsRune(raw, '\\'):
			return "a time with escapes"
		case json.Unmarshal(raw, &s) == nil && len(s) >= len("2006-01-02T15:04:60") && s[17:19] == "60":
			return "a leap second"
		}
	}
	return ""
}

// disagreement returns how Decode and the schema judge the data of the
// envelope b differently, or "" when they agree (or b is no envelope of a
// known type, which is Parse's and the registry's business).
func disagreement(tb testing.TB, refs map[string]event.Envelope, b []byte) string {
	tb.Helper()
	env, err := event.Parse(b)
	if err != nil {
		return ""
	}
	if _, ok := refs[env.Type]; !ok {
		return ""
	}
	_, decodeErr := env.Decode()
	if decodeErr != nil && !errors.Is(decodeErr, event.ErrMalformed) {
		return fmt.Sprintf("Decode: undocumented error %v", decodeErr)
	}
	schemaErr := schemaCheck(tb, refs, env.Type, env.Data)
	switch {
	case decodeErr == nil && schemaErr != nil:
		return fmt.Sprintf("Decode accepts what the schema refuses:\n%v\ndata: %s", schemaErr, env.Data)
	case decodeErr != nil && schemaErr == nil && undecodable(env.Data) == "":
		return fmt.Sprintf("Decode refuses what the schema accepts: %v\ndata: %s", decodeErr, env.Data)
	}
	return ""
}

// TestDecodeAgreesWithSchemaOnEdits edits every field of one sample of each
// type, nested ones included, to values on and around every bound the
// schemas set, and to the wrong kinds of value.
func TestDecodeAgreesWithSchemaOnEdits(t *testing.T) {
	t.Parallel()
	refs := references(t)
	chars := func(c string, n int) string { return strings.Repeat(c, n) }
	values := []any{
		nil, "", 0, -1, 1, 5, 6, 10, 11, 20, 50, 100, 101, 500, 501, 1000, 1001, 2000, 2001, 86400, 86401,
		1.5, 2.0, json.Number("2e0"), json.Number("-0"), json.Number("1e400"), true, false,
		"x", "ana", "Ana", "-ana", "_a", "a.b", "a b", chars("a", 64), chars("a", 65),
		chars("é", 1), chars("é", 128), chars("é", 129), chars("é", 200), chars("é", 201),
		chars("é", 500), chars("é", 501), chars("é", 2000), chars("é", 2001),
		"01a207c7-d870-7dfc-af0c-706a8b43b1ca", "01A207C7-D870-7DFC-AF0C-706A8B43B1CA", "01a207c7d8707dfcaf0c706a8b43b1ca",
		"public", "private", "team", "api", "cli", "chat", "rule", "email", "voice", "other", "sms",
		"giver", "admin", "stars_5", "csat_5", "nps_10", "day", "week", "month", "year",
		"day:2026-11-23", "day:2026-02-31", "day:2026-11-32", "day:2026-00-01", "week:2026-W53", "week:2026-W54",
		"week:2026-W00", "week:2026-W1", "month:2026-12", "month:2026-13", "month:26-12", "Day:2026-11-23",
		"2026-11-23", "2026-02-29", "2028-02-29", "2000-02-29", "1900-02-29", "0000-02-29", "2026-04-31", "2026-1-01", "20261123",
		"2026-11-23T09:38:12Z", "2026-11-23T09:38:12.123456789Z", "2026-11-23T09:38:12.1234567891Z",
		"2026-11-23T09:38:12.Z", "2026-11-23T09:38:12+00:00", "2026-11-23T09:38:12z", "2026-11-23t09:38:12Z",
		"2026-11-23T24:00:00Z", "2016-12-31T23:59:60Z", "2026-11-23 09:38:12Z", "0000-01-01T00:00:00Z",
		"🎉", "👩🏽‍💻", "❤️", chars("👍", 10), chars("👍", 11), ":tada:", ":+1:", "::", ":Tada:", ":a", "🎉 ", "©", "½", "ok",
		":" + chars("a", 62) + ":", ":" + chars("a", 63) + ":", "\u00a0", "\u200d", "\ufffd",
		"conv-8f3a2b91", "conv 1", "ticket/48213", "a\tb", "\u0301", "𝟘",
		"Europe/Lisbon", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+1", "/Europe", "Europe/", "Europe//Lisbon", "Europe/ Lisbon",
		[]any{}, []any{"bruno"}, []any{"bruno", "bruno"}, []any{"bruno", "Bruno"}, []any{""}, []any{nil}, []any{1},
		map[string]any{}, map[string]any{"event_id": "x", "type": "y"},
	}
	ids := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("m%02d", i)
		}
		return out
	}
	values = append(values, ids(10), ids(11), ids(20), ids(21), ids(50), ids(51))

	// edits lists, for a JSON object, a change of each of its fields to
	// each value, a deletion, a name in the wrong case, and the same for
	// nested objects; each edit returns a fresh copy.
	type edit struct {
		name string
		data map[string]any
	}
	var edits func(path string, obj map[string]any, props []string) []edit
	edits = func(path string, obj map[string]any, props []string) []edit {
		var out []edit
		with := func(name string, fn func(m map[string]any)) {
			m := deepCopy(obj)
			fn(m)
			out = append(out, edit{path + name, m})
		}
		for _, p := range props {
			for _, v := range values {
				shown := fmt.Sprint(v)
				if len(shown) > 30 {
					shown = shown[:30] + "…"
				}
				with(p+"="+shown, func(m map[string]any) { m[p] = v })
			}
			with(p+" deleted", func(m map[string]any) { delete(m, p) })
			with(p+" upper case", func(m map[string]any) {
				if v, ok := m[p]; ok {
					delete(m, p)
					m[strings.ToUpper(p)] = v
				}
			})
			if nested, ok := obj[p].(map[string]any); ok {
				for _, e := range edits(path+p+".", nested, slices.Sorted(maps.Keys(nested))) {
					with(e.name, func(m map[string]any) { m[p] = e.data })
				}
			}
		}
		with("extra field", func(m map[string]any) { m["extra"] = "x" })
		return out
	}

	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			env, b := envelopeOf(t, s)
			var data map[string]any
			if err := json.Unmarshal(env.Data, &data); err != nil {
				t.Fatal(err)
			}
			doc := readSchema(t, event.SchemaFile(env.Type))
			props := slices.Sorted(maps.Keys(doc["$defs"].(map[string]any)["data"].(map[string]any)["properties"].(map[string]any)))
			var whole map[string]any
			if err := json.Unmarshal(b, &whole); err != nil {
				t.Fatal(err)
			}
			for _, e := range edits("", data, props) {
				whole["data"] = e.data
				out, err := json.Marshal(whole)
				if err != nil {
					t.Fatal(err)
				}
				if d := disagreement(t, refs, out); d != "" {
					t.Errorf("%s: %s", e.name, d)
				}
			}
		})
	}
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if n, ok := v.(map[string]any); ok {
			v = deepCopy(n)
		}
		out[k] = v
	}
	return out
}

// TestDecodeAgreesWithSchemaOnRawJSON covers what only raw JSON can say:
// repeated names (the last one counts, for the schema as for decoders),
// escaped names, and numbers as written.
func TestDecodeAgreesWithSchemaOnRawJSON(t *testing.T) {
	t.Parallel()
	refs := references(t)
	base := map[string]string{}
	for typ, env := range refs {
		base[typ] = strings.TrimSuffix(string(env.Data), "}")
	}
	kudos := base[event.TypeKudosGiven]
	rating := base[event.TypeRatingReceived]
	policy := base[event.TypePolicySet]
	tests := []struct {
		name, typ, data string
	}{
		{"repeated, bad then good", event.TypeKudosGiven, kudos + `,"points":0,"points":3}`},
		{"repeated, good then bad", event.TypeKudosGiven, kudos + `,"points":3,"points":0}`},
		{"repeated, null last", event.TypeKudosGiven, kudos + `,"giver":null}`},
		{"repeated, empty then good", event.TypeKudosGiven, kudos + `,"giver":"","giver":"ana"}`},
		{"repeated object, second incomplete", event.TypeKudosGiven, kudos + `,"cause":{"event_id":"x","type":"y"},"cause":{"event_id":"x"}}`},
		{"repeated object, first incomplete", event.TypeKudosGiven, kudos + `,"cause":{"event_id":"x"},"cause":{"event_id":"x","type":"y"}}`},
		{"repeated nested field", event.TypePolicySet, policy + `,"allowance":{"amount":0,"amount":7,"period":"day"}}`},
		{"repeated nested null", event.TypePolicySet, policy + `,"message_rules":{"min_length":9,"reject_generic":true,"reject_generic":null}}`},
		{"name in another case", event.TypeKudosGiven, kudos + `,"Points":3}`},
		{"kelvin sign in a name", event.TypeKudosGiven, kudos + `,"` + "\u212a" + `":1}`},
		{"escaped name", event.TypeKudosGiven, kudos + `,"poin\u0074s":3}`},
		{"escaped name, bad value", event.TypeKudosGiven, kudos + `,"poin\u0074s":0}`},
		{"escaped value", event.TypeKudosGiven, kudos + `,"visibility":"pr\u0069vate"}`},
		{"negative zero", event.TypeKudosGiven, kudos + `,"spent":-0}`},
		{"exponent", event.TypeKudosGiven, kudos + `,"spent":1E1}`},
		{"escaped time", event.TypeRatingReceived, rating + `,"occurred_at":"2026-11-23T09:38:12\u005a"}`},
		{"white space", event.TypeKudosGiven, " \n" + kudos + ` , "spent" : 4 } `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := refs[tt.typ]
			env.Data = json.RawMessage(tt.data)
			if !json.Valid(env.Data) {
				t.Fatalf("not JSON: %s", tt.data)
			}
			b, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if d := disagreement(t, refs, b); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestValidateCharactersMatchSchemaPatterns compares, one code point at a
// time, Validate's character classes with the schemas' patterns, compiled
// by Go's regexp as the schema validator compiles them.
func TestValidateCharactersMatchSchemaPatterns(t *testing.T) {
	t.Parallel()
	pattern := func(file, field string) *regexp.Regexp {
		doc := readSchema(t, file)
		p := doc["$defs"].(map[string]any)["data"].(map[string]any)["properties"].(map[string]any)[field].(map[string]any)
		return regexp.MustCompile(p["pattern"].(string))
	}
	kudosID := "01a207c7-d870-7dfc-af0c-706a8b43b1ca"
	tests := []struct {
		name    string
		re      *regexp.Regexp
		last    rune // the last code point tried
		valid   func(s string) error
		wrap    func(r rune) string // the value tried for r
		maxRune int                 // maxLength, where the pattern alone does not bound it
	}{
		{"emoji", pattern(event.SchemaFile(event.TypeReactionAdded), "emoji"), utf8.MaxRune,
			func(s string) error {
				return event.ReactionAdded{KudosID: kudosID, Member: "ana", Emoji: s}.Validate()
			}, func(r rune) string { return string(r) }, 64},
		{"short code", pattern(event.SchemaFile(event.TypeReactionAdded), "emoji"), 0x2000,
			func(s string) error {
				return event.ReactionAdded{KudosID: kudosID, Member: "ana", Emoji: s}.Validate()
			}, func(r rune) string { return ":a" + string(r) + ":" }, 64},
		{"interaction id", pattern(event.SchemaFile(event.TypeRatingReceived), "interaction_id"), utf8.MaxRune,
			func(s string) error {
				return event.RatingReceived{Platform: "p", InteractionID: s, Agent: "a", Score: 1, Scale: event.ScaleStars5, Channel: event.InteractionChat}.Validate()
			}, func(r rune) string { return "a" + string(r) }, 128},
		{"time zone", pattern(event.SchemaFile(event.TypeMemberUpserted), "time_zone"), 0x2000,
			func(s string) error {
				return event.MemberUpserted{Member: "m", Name: "n", Team: "t", TimeZone: s}.Validate()
			}, func(r rune) string { return "Europe/L" + string(r) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bad := 0
			for r := rune(0); r <= tt.last; r++ {
				if !utf8.ValidRune(r) {
					continue // JSON strings decode to valid UTF-8 only
				}
				s := tt.wrap(r)
				want := tt.re.MatchString(s) && (tt.maxRune == 0 || utf8.RuneCountInString(s) <= tt.maxRune)
				if got := tt.valid(s) == nil; got != want {
					t.Errorf("%U %q: Validate says valid %v, the schema's pattern %v", r, s, got, want)
					if bad++; bad > 20 {
						t.Fatal("too many")
					}
				}
			}
		})
	}
}

// TestValidateDoesNotAllocate: Decode validates every event a projector
// reads, so validating a valid one must not add garbage. Not parallel:
// testing.AllocsPerRun refuses to run beside other tests.
func TestValidateDoesNotAllocate(t *testing.T) {
	var data []event.Data
	for _, s := range samples(t) {
		data = append(data, s.data)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, d := range data {
			if err := d.Validate(); err != nil {
				panic(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Validate of the samples allocates %v times", allocs)
	}
}

// TestValidateNamesTheField: a dead letter's reason must say what is wrong.
func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	refs := references(t)
	tests := []struct {
		typ, edit, want string
	}{
		{event.TypeKudosGiven, `"points":-5`, "points: must be between 1 and 100, got -5"},
		{event.TypeKudosGiven, `"recipients":[]`, "recipients: must have 1 to 20 items, got 0"},
		{event.TypeKudosGiven, `"visibility":"secret"`, `visibility: must be "public" or "private", got "secret"`},
		{event.TypeKudosGiven, `"message":"` + strings.Repeat("é", 2001) + `"`, "message: must be 1 to 2000 characters, got 2001"},
		{event.TypeKudosGiven, `"giver":"Ana"`, `giver: must be an id`},
		{event.TypeKudosGiven, `"spent":null`, "spent: must not be null"},
		{event.TypeKudosGiven, `"cause":{"event_id":"x","type":""}`, "cause.type: must not be empty"},
		{event.TypeKudosGiven, `"Spent":4`, `unknown field "Spent"`},
		{event.TypeRatingReceived, `"score":0`, "score: must be between 1 and 5, got 0 on stars_5"},
		{event.TypeRatingReceived, `"comment":""`, "comment: must not be empty"},
		{event.TypeRatingReceived, `"occurred_at":"2026-11-23T09:38:12.0000000001Z"`, "occurred_at: must be RFC 3339 in UTC"},
		{event.TypeAllowanceBoosted, `"member":"ana"`, "member, team: exactly one may be present"},
	}
	for _, tt := range tests {
		t.Run(tt.edit, func(t *testing.T) {
			t.Parallel()
			env := refs[tt.typ]
			env.Data = append(bytes.TrimSuffix(bytes.Clone(env.Data), []byte("}")), ","+tt.edit+"}"...)
			_, err := env.Decode()
			if !errors.Is(err, event.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want ErrMalformed with %q", err, tt.want)
			}
			if schemaCheck(t, refs, tt.typ, env.Data) == nil {
				t.Errorf("the schema accepts %s", env.Data)
			}
		})
	}
}

// FuzzValidateMatchesSchema mutates the samples and schema examples: for
// every well-formed envelope of a known type, Decode must accept its data
// exactly when the type's JSON Schema does (but for what undecodable
// lists, which Decode refuses).
func FuzzValidateMatchesSchema(f *testing.F) {
	for name, sf := range schemaFiles(f) {
		if name == eventtest.EnvelopeFile {
			continue
		}
		for _, ex := range sf.Examples {
			f.Add([]byte(ex))
		}
	}
	refs := references(f)
	for _, s := range samples(f) {
		_, b := envelopeOf(f, s)
		f.Add(b)
	}
	for _, env := range refs {
		// Seeds of what the decoded value cannot show: a null, an empty
		// string, a name in another case.
		b, err := json.Marshal(env)
		if err != nil {
			f.Fatal(err)
		}
		at := bytes.Index(b, []byte(`"data":{`)) + len(`"data":{`)
		for _, field := range []string{`"x":null,`, `"comment":"",`, `"Member":"ana",`} {
			f.Add(slices.Concat(b[:at], []byte(field), b[at:]))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if d := disagreement(t, refs, b); d != "" {
			t.Fatal(d)
		}
	})
}

// BenchmarkDecode measures what a projector pays per event: decoding, the
// check of the raw JSON and Validate.
func BenchmarkDecode(b *testing.B) {
	seen := map[string]bool{}
	for _, s := range samples(b) {
		if seen[s.data.EventType()] {
			continue
		}
		seen[s.data.EventType()] = true
		_, raw := envelopeOf(b, s)
		env, err := event.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := env.Decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
