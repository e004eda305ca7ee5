package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestAppendJSONMatchesMarshal: the write path's encoder produces the very
// bytes encoding/json produces for the same envelope, for awkward strings
// too.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 9, 15, 0, 123_000_000, time.UTC)
	tests := []struct {
		name    string
		subject string
		data    json.RawMessage
	}{
		{name: "plain", subject: "kudos/0192", data: json.RawMessage(`{"giver":"ana"}`)},
		{name: "quotes and backslashes", subject: `a "b" \c`, data: json.RawMessage(`{}`)},
		{name: "control characters", subject: "tab\tnl\ncr\rbell\x07nul\x00del\x7f", data: json.RawMessage(`{}`)},
		{name: "html", subject: "<b>&amp;</b>", data: json.RawMessage(`{}`)},
		{name: "unicode", subject: "Obrigada, Zoë! 🎉 \u2028\u2029", data: json.RawMessage(`{}`)},
		{name: "invalid utf-8", subject: "bad \xff\xfe bytes \xe2\x82", data: json.RawMessage(`{}`)},
		{name: "no data", subject: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := Envelope{
				SpecVersion: SpecVersion, ID: "0192b2c4-7d1e-7c3a-9f00-1a2b3c4d5e6f", Source: Source,
				Type: "recognition.kudos_given.v1", Time: at, Subject: tt.subject, Tenant: "acme",
				DataContentType: "application/json", DataSchema: SchemaBase + "x.json", Data: tt.data,
			}
			want, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.AppendJSON(nil); !bytes.Equal(got, want) {
				t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzAppendJSON: for any attribute strings AppendJSON writes what
// json.Marshal writes.
func FuzzAppendJSON(f *testing.F) {
	f.Add("kudos/1", "acme", int64(0))
	f.Add("\x00\"\\<>&\u2028\xff", "t", int64(1_700_000_000_123_456_789))
	f.Fuzz(func(t *testing.T, subject, tenant string, nanos int64) {
		e := Envelope{
			SpecVersion: SpecVersion, ID: subject + tenant, Source: Source, Type: tenant,
			Time: time.Unix(0, nanos).UTC(), Subject: subject, Tenant: tenant, Data: json.RawMessage(`{"a":1}`),
		}
		want, err := json.Marshal(e) // int64 nanoseconds stay within years JSON can hold
		if err != nil {
			t.Fatal(err)
		}
		if got := e.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
		}
	})
}

// FuzzKudosGivenJSON: the hand-written encoder of the kudos given writes
// what json.Marshal writes, whatever the strings hold.
func FuzzKudosGivenJSON(f *testing.F) {
	f.Add("ana", "bo", "Thanks for the <refund> & \"calm\" call\n", "ownership", 3, true)
	f.Add("", "", "", "", -1, false)
	f.Fuzz(func(t *testing.T, giver, recipient, message, value string, points int, cause bool) {
		d := KudosGiven{Giver: giver, Recipients: []string{recipient, message}, Message: message, Values: []string{value},
			Points: points, Visibility: value, Channel: giver, Period: recipient, Spent: -points}
		if points%2 == 0 {
			d.Values = nil
		}
		if cause {
			d.Cause = &Cause{EventID: value, Type: message}
		}
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON\n got %s\nwant %s", got, want)
		}
	})
}

// TestKudosGivenJSONCoversEveryField: a field added to KudosGiven must be
// added to its hand-written encoder too; this fails until it is.
func TestKudosGivenJSONCoversEveryField(t *testing.T) {
	t.Parallel()
	const encoded = 10 // giver, recipients, message, values, points, visibility, channel, cause, period, spent
	if n := reflect.TypeFor[KudosGiven]().NumField(); n != encoded {
		t.Fatalf("KudosGiven has %d fields, its appendJSON writes %d: update it", n, encoded)
	}
}
