package event_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/event"
)

// fastTypes are the types Read decodes by hand.
var fastTypes = map[string]bool{
	event.TypeKudosGiven: true, event.TypeReactionAdded: true, event.TypeKudosRetracted: true,
	event.TypeRatingReceived: true, event.TypeMemberUpserted: true, event.TypeMemberLeft: true,
}

// TestReadTakesWhatPlauditWrites: every sample of the frequent types, as
// the write side encodes it, goes through Read's fast pass (else the pass
// would be dead code that only the fuzz test runs) and comes out as Parse
// and Decode make it; the other types come out the same through them.
func TestReadTakesWhatPlauditWrites(t *testing.T) {
	t.Parallel()
	for _, s := range samples(t) {
		env, b := envelopeOf(t, s)
		wantEnv, err := event.Parse(b)
		if err != nil {
			t.Fatalf("%s: Parse: %v", s.name, err)
		}
		want, err := wantEnv.Decode()
		if err != nil {
			t.Fatalf("%s: Decode: %v", s.name, err)
		}
		_, _, fast := event.ReadFast(b)
		if fast != fastTypes[env.Type] {
			t.Errorf("%s: fast pass taken %v, want %v", s.name, fast, fastTypes[env.Type])
		}
		gotEnv, got, err := event.Read(b)
		if err != nil {
			t.Fatalf("%s: Read: %v", s.name, err)
		}
		if !reflect.DeepEqual(gotEnv, wantEnv) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Read gives\n%#v\n%#v\nwant\n%#v\n%#v", s.name, gotEnv, got, wantEnv, want)
		}
	}
}

// TestReadLeavesTheRestToParse: what the fast pass does not take, Read
// still decodes or refuses as Parse and Decode do.
func TestReadLeavesTheRestToParse(t *testing.T) {
	t.Parallel()
	_, b := envelopeOf(t, samples(t)[0])
	for name, edit := range map[string]func(string) string{
		"spaces":             func(s string) string { return strings.ReplaceAll(s, ",", " ,\n ") },
		"name in upper case": func(s string) string { return strings.Replace(s, `"tenant"`, `"TENANT"`, 1) },
		"unknown attribute":  func(s string) string { return strings.Replace(s, `{`, `{"traceparent":"00-x",`, 1) },
		"time with offset":   func(s string) string { return strings.Replace(s, `.312Z"`, `.312+00:00"`, 1) },
		"escaped name":       func(s string) string { return strings.Replace(s, `"giver"`, `"giv\u0065r"`, 1) },
		"surrogate pair":     func(s string) string { return strings.Replace(s, `Thanks`, `\ud83c\udf89 Thanks`, 1) },
		"float points":       func(s string) string { return strings.Replace(s, `"points":2`, `"points":2.5`, 1) },
		"null message":       func(s string) string { return strings.Replace(s, `"message":"Thanks`, `"message":null,"x":"`, 1) },
		"repeated giver":     func(s string) string { return strings.Replace(s, `"giver":"ana"`, `"giver":"ana","giver":"bo"`, 1) },
		"truncated":          func(s string) string { return s[:len(s)-2] },
		"escaped time":       func(s string) string { return strings.Replace(s, `"time":"2`, `"time":"\u0032`, 1) },
	} {
		in := []byte(edit(string(b)))
		if string(in) == string(b) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		wantEnv, err := event.Parse(in)
		var want event.Data
		if err == nil {
			want, err = wantEnv.Decode()
		}
		gotEnv, got, gotErr := event.Read(in)
		switch {
		case (err == nil) != (gotErr == nil):
			t.Errorf("%s: Read says %v, Parse and Decode %v", name, gotErr, err)
		case err != nil && gotErr.Error() != err.Error():
			t.Errorf("%s: Read says %v, Parse and Decode %v", name, gotErr, err)
		case err == nil && (!reflect.DeepEqual(gotEnv, wantEnv) || !reflect.DeepEqual(got, want)):
			t.Errorf("%s: Read gives %#v, want %#v", name, got, want)
		}
	}
}

// FuzzReadFast holds the fast pass to Parse and Decode: whatever it takes,
// they take, and they make the same envelope and data of it.
func FuzzReadFast(f *testing.F) {
	for _, s := range samples(f) {
		_, b := envelopeOf(f, s)
		f.Add(b)
	}
	for _, s := range []string{
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.directory.member_left.v1","tenant":"acme","data":{"member":"a\u00e9\n\"b"}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.directory.member_upserted.v1","tenant":"acme","time":"2024-02-29T23:59:59.5Z","data":{"member":"m","name":"N","team":"t","time_zone":"UTC","active":false}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.directory.member_left.v1","tenant":"acme","time":"2023-02-29T00:00:00Z","data":{"member":"m"}}`,
		`{"specversion":"1.0","id":"x","source":"/plaudit","type":"plaudit.directory.member_left.v1","tenant":"acme","time":"\u00324-02-29T23:59:59.5Z","data":{"member":"m"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, d, ok := event.ReadFast(b)
		if !ok {
			return
		}
		wantEnv, err := event.Parse(b)
		if err != nil {
			t.Fatalf("the fast pass takes what Parse refuses (%v): %s", err, b)
		}
		want, err := wantEnv.Decode()
		if err != nil {
			t.Fatalf("the fast pass takes what Decode refuses (%v): %s", err, b)
		}
		if !reflect.DeepEqual(env, wantEnv) {
			t.Fatalf("envelopes differ:\nfast %#v\nwant %#v", env, wantEnv)
		}
		if !reflect.DeepEqual(d, want) {
			t.Fatalf("data differ:\nfast %#v\nwant %#v", d, want)
		}
	})
}

// BenchmarkRead compares Read with Parse and Decode on a kudos as the
// write side encodes it.
func BenchmarkRead(b *testing.B) {
	_, msg := envelopeOf(b, samples(b)[0])
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := event.Read(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+decode", func(b *testing.B) {
		for b.Loop() {
			e, err := event.Parse(msg)
			if err == nil {
				_, err = e.Decode()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
