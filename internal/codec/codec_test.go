package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/plaudit/plaudit/internal/codec"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
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
