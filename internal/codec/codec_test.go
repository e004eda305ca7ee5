package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plaudit/plaudit/internal/codec"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/event/schema"
)

// BenchmarkRead is what pays for this package: codec.Read against
// event.Read on the same kudos message.
func BenchmarkRead(b *testing.B) {
	msg := eventtest.Message(b, eventtest.Kudos())
	for _, bb := range []struct {
		name string
		read func([]byte) (event.Envelope, event.Data, error)
	}{{"codec", codec.Read}, {"event", event.Read}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := bb.read(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzReadMatchesEvent: on valid JSON in valid UTF-8 (all the stream
// holds: encoding/json writes nothing else), codec.Read and event.Read
// accept the same messages, fail with the same documented errors, and
// yield the same events. On other input codec.Read may decode what
// event.Read refuses (it skips unknown values unchecked, and keeps bytes
// that are not UTF-8 where event.Read puts U+FFFD).
func FuzzReadMatchesEvent(f *testing.F) {
	f.Add(eventtest.Message(f, eventtest.Kudos()))
	for _, s := range []string{
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.recognition.reaction_added.v1","tenant":"acme","data":{"kudos_id":"k","member":"ana","emoji":"\ud83c\udf89"}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.policy.tenant_policy_set.v1","tenant":"acme","data":{"allowance":{"amount":3,"period":"day"},"values":[],"message_rules":{"min_length":20,"reject_generic":true}}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.recognition.kudos_given.v1","tenant":"acme","data":{"points":"2"}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.recognition.kudos_given.v1","tenant":"acme","data":{"points":2},"x":[1,}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.nope.v1","tenant":"acme","data":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, d, err := codec.Read(b)
		wantEnv, wantD, wantErr := event.Read(b)
		if !json.Valid(b) || !utf8.Valid(b) {
			if !json.Valid(b) && wantErr == nil {
				t.Fatalf("event.Read accepts what is not JSON: %q", b)
			}
			return
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("codec.Read says %v, event.Read says %v", err, wantErr)
		}
		if err != nil {
			for _, sentinel := range []error{event.ErrMalformed, event.ErrUnknownType} {
				if errors.Is(wantErr, sentinel) != errors.Is(err, sentinel) {
					t.Fatalf("codec.Read: %v, event.Read: %v", err, wantErr)
				}
			}
			return
		}
		if !bytes.Equal(eventtest.JSON(t, env), eventtest.JSON(t, wantEnv)) || !bytes.Equal(eventtest.JSON(t, d), eventtest.JSON(t, wantD)) {
			t.Fatalf("codec.Read differs:\n%s %s\n%s %s", eventtest.JSON(t, env), eventtest.JSON(t, d), eventtest.JSON(t, wantEnv), eventtest.JSON(t, wantD))
		}
	})
}

// BenchmarkCheck is what pays for Check: codec.Check against schema.Check
// on the same kudos.
func BenchmarkCheck(b *testing.B) {
	msg := eventtest.Message(b, eventtest.Kudos())
	for _, bb := range []struct {
		name  string
		check func([]byte) error
	}{{"codec", codec.Check}, {"schema", schema.Check}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if err := bb.check(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzCheckMatchesSchema: on valid JSON in valid UTF-8 (what encoding/json
// encodes, the only input the event store gives Check), codec.Check and
// schema.Check accept alike, and refuse naming the same field but for
// numbers encoding/json cannot encode.
func FuzzCheckMatchesSchema(f *testing.F) {
	f.Add(eventtest.Message(f, eventtest.Kudos()))
	kudos := string(eventtest.Message(f, eventtest.Kudos()))
	for _, s := range []string{
		strings.Replace(kudos, `"points":2`, `"points":9007199254740993`, 1),
		strings.Replace(kudos, `"points":2`, `"points":2.5`, 1),
		strings.Replace(kudos, `"points":2`, `"points":1e400`, 1),
		strings.Replace(kudos, `"points":2`, `"points":-0`, 1),
		strings.Replace(kudos, `"points":2`, `"points":"2"`, 1),
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.recognition.reaction_added.v1","tenant":"acme","data":{"kudos_id":"k","member":"ana","emoji":"\ud83c\udf89"}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.nope.v1","tenant":"acme","data":{}}`,
		`[1,2]`,
		`{"type":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || !utf8.Valid(b) {
			return
		}
		err, want := codec.Check(b), schema.Check(b)
		if (err == nil) != (want == nil) {
			t.Fatalf("codec.Check says %v, schema.Check says %v, of %s", err, want, b)
		}
		var got, exp *schema.Error
		if errors.As(err, &got) != errors.As(want, &exp) {
			t.Fatalf("codec.Check: %v; schema.Check: %v", err, want)
		}
		// A number beyond float64's range (which encoding/json never
		// encodes) is refused as not JSON, where schema.Check refuses it
		// for its value.
		if got != nil && (got.Field != exp.Field || got.Type != exp.Type) && got.Field != "envelope" {
			t.Fatalf("codec.Check: %v; schema.Check: %v", err, want)
		}
	})
}
