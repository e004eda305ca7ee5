package event

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{}`, ` [ ] `, `0`, `-0.5e+10`, `"a\u00e9\n"`, `{"a":[1,true,false,null,{"b":"c"}]}`,
		`{"":00}`, `{"a"}`, `{"a":}`, `[1,]`, `01`, `1.`, `.5`, `1e`, `-`, `"\x"`, `"\u12"`, "\"\x01\"",
		`tru`, `nul`, `{"a":1}x`, ``, ` `, `"abc`, `{"a":1,}`, `[1 2]`, "\"\xff\"",
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	} {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.40q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,"x\u0041"]}`, `{"":00}`, `[-0]`, `"\ud83c"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	doc := []byte(`{"specversion":"1.0","id":"0192b2c4-7d1e-7c3a-9f00-1a2b3c4d5e6f","source":"/plaudit","type":"plaudit.recognition.kudos_given.v1","time":"2026-11-30T09:15:00.123Z","subject":"kudos/0192b2c4-7d1e-7c3a-9f00-1a2b3c4d5e6f","tenant":"default","datacontenttype":"application/json","dataschema":"https://plaudit.dev/schemas/events/recognition.kudos_given.v1.json","data":{"giver":"m-0001","recipients":["m-0002"],"message":"Thanks for untangling the flaky deploy pipeline before Friday's release","values":["ownership"],"points":1,"visibility":"public","channel":"api","period":"day:2026-11-30","spent":1}}`)
	for b.Loop() {
		if !validJSON(doc) {
			b.Fatal("invalid")
		}
	}
}
