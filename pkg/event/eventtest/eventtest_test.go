package eventtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCompile(t *testing.T) {
	schemas, err := eventtest.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range event.Types() {
		if schemas[typ] == nil {
			t.Errorf("no schema for %s", typ)
		}
	}
}

func TestValidate(t *testing.T) {
	_, good := eventtest.Stored(t, "acme", "01a21df8-512c-72c5-b643-e6e5572ed832", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		event.MemberLeft{Member: "bruno"})
	unknown := strings.Replace(string(good), event.TypeMemberLeft, "plaudit.directory.member_left.v9", 1)
	tests := []struct {
		name string
		in   string
		want string // in the failure; "" for none
	}{
		{"valid", string(good), ""},
		{"invalid", strings.Replace(string(good), `"bruno"`, `"Bruno"`, 1), "/data/member"},
		{"unknown type", unknown, `"plaudit.directory.member_left.v9" is not a known event type`},
		{"no type", `{"specversion":"1.0"}`, `envelope.type: is required`},
		{"not an object", `[]`, "not a JSON object"},
		{"not JSON", `{`, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			eventtest.Validate(r, []byte(tt.in))
			switch {
			case tt.want == "" && len(r.errors) > 0:
				t.Errorf("Validate failed: %v", r.errors)
			case tt.want != "" && len(r.errors) != 1:
				t.Errorf("Validate reported %d failures, want 1", len(r.errors))
			case tt.want != "" && !strings.Contains(r.errors[0], tt.want):
				t.Errorf("failure %q does not mention %q", r.errors[0], tt.want)
			}
		})
	}
}
