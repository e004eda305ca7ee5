package teams_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/internal/teamsfake"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/teams"
	"github.com/plaudit/plaudit/pkg/testenv"
)

const example = "<at>Plaudit</at> <at>Bo Berg</at> <at>Cy Chen</at> +2 #ownership " + specific

// TestSignatures: only a request signed with the tenant's own token, and
// fresh, gives; the others are refused and give nothing.
func TestSignatures(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	globex := base64.StdEncoding.EncodeToString([]byte("globex's own Teams security token"))
	w.configure("globex", map[string]any{"security_token": globex})
	sign := func(token string, body []byte) string {
		h, err := teamsfake.Sign(token, body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	at := func(d time.Duration) teamsfake.Activity {
		a := activity(anaAAD, example)
		a.ID = uuid.NewString()
		a.Timestamp = time.Now().Add(d).UTC().Format(time.RFC3339Nano)
		return a
	}
	tests := []struct {
		name   string
		tenant string
		// request returns the body and its Authorization header.
		request func() ([]byte, string)
		status  int
		gives   bool
	}{
		{"good", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			return b, sign(w.token, b)
		}, http.StatusOK, true},
		{"tampered", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			h := sign(w.token, b)
			return []byte(strings.Replace(string(b), "+2", "+5", 1)), h
		}, http.StatusUnauthorized, false},
		{"wrong token (another tenant's)", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			return b, sign(globex, b)
		}, http.StatusUnauthorized, false},
		{"missing header", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			return b, ""
		}, http.StatusUnauthorized, false},
		{"stale timestamp", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(-6 * time.Minute))
			return b, sign(w.token, b)
		}, http.StatusUnauthorized, false},
		{"timestamp ahead", acme, func() ([]byte, string) {
			b, _ := json.Marshal(at(6 * time.Minute))
			return b, sign(w.token, b)
		}, http.StatusUnauthorized, false},
		{"no timestamp", acme, func() ([]byte, string) {
			a := at(0)
			a.Timestamp = ""
			b, _ := json.Marshal(a)
			return b, sign(w.token, b)
		}, http.StatusUnauthorized, false},
		{"unknown tenant", "initech", func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			return b, sign(w.token, b)
		}, http.StatusNotFound, false},
		{"a tenant id that is none", "ACME..", func() ([]byte, string) {
			b, _ := json.Marshal(at(0))
			return b, sign(w.token, b)
		}, http.StatusNotFound, false},
		{"signed but not an activity", acme, func() ([]byte, string) {
			b := []byte(`{"type":"message"`)
			return b, sign(w.token, b)
		}, http.StatusBadRequest, false},
		{"too large", acme, func() ([]byte, string) {
			a := at(0)
			a.Text += strings.Repeat(" and more", 8<<10)
			b, _ := json.Marshal(a)
			return b, sign(w.token, b)
		}, http.StatusRequestEntityTooLarge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.given("ana"))
			body, auth := tt.request()
			r, err := teamsfake.SendSigned(w.ctx(), w.url, tt.tenant, auth, body)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if r.Status != http.StatusOK {
				var p struct {
					Type   string `json:"type"`
					Status int    `json:"status"`
				}
				if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != tt.status || p.Type == "" {
					t.Errorf("not a problem: %s", r.Body)
				}
			}
			if n := len(w.given("ana")) - before; (n == 1) != tt.gives || n > 1 {
				t.Errorf("%d kudos given, want gives %v (answer %q)", n, tt.gives, r.Text)
			}
		})
	}
	// The 404 of a tenant without Teams says nothing a tenant with it
	// would not.
	b, _ := json.Marshal(at(0))
	none, _ := teamsfake.SendSigned(w.ctx(), w.url, "initech", "", b)
	if strings.Contains(string(none.Body), "teams") && strings.Contains(string(none.Body), "configured") {
		t.Errorf("the 404 says Teams is not configured: %s", none.Body)
	}
}

// TestGiveFromTeams: a message gives an ordinary kudos on the channel
// "chat", public, from the sender's member to the mentioned members, and
// is answered in place with what was given and what is left.
func TestGiveFromTeams(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	r := w.send(acme, w.token, activity(anaAAD, example))
	if r.Status != http.StatusOK {
		t.Fatalf("answer %d %s", r.Status, r.Body)
	}
	wantContains(t, "answer", r.Text, "Given 2 points each to Bo Berg and Cy Chen (#ownership)", "You have 1 of 5 points left today (resets ")
	got := w.given("ana")
	if len(got) != 1 {
		t.Fatalf("%d kudos given, want 1", len(got))
	}
	k := got[0]
	if k.Channel != event.ChannelChat || k.Visibility != event.Public || k.Points != 2 || k.Spent != 4 ||
		strings.Join(k.Recipients, ",") != "bo,cy" || strings.Join(k.Values, ",") != "ownership" || k.Message != specific {
		t.Errorf("stored %+v", k)
	}

	// A mention that carries an Entra object id is mapped by it, whatever
	// name Teams shows; the same person twice is one recipient.
	a := activity(anaAAD, "<at>Plaudit</at> <at>Bobby</at> <at>Bo Berg</at> "+specific)
	a.Entities[1].Mentioned.AADObjectID = strings.ToUpper(boAAD)
	r = w.send(acme, w.token, a)
	wantContains(t, "answer", r.Text, "Given 1 point to Bo Berg.", "You have 0 of 5 points left today (resets ")
	if got := w.given("ana"); len(got) != 2 || strings.Join(got[1].Recipients, ",") != "bo" {
		t.Errorf("stored %+v", got)
	}
}

// TestReplayGivesOnce: the same activity, retried by Teams or replayed by
// whoever captured it, gives once and is answered the same, also after
// JetStream's duplicate window has passed (here a second).
func TestReplayGivesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Second)
	a := activity(anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> +1 "+specific)
	first := w.send(acme, w.token, a)
	wantContains(t, "first answer", first.Text, "Given 1 point to Bo Berg", "4 of 5")
	again := w.send(acme, w.token, a)
	if again.Text != first.Text {
		t.Errorf("the retry is answered %q, the first %q", again.Text, first.Text)
	}
	w.pastDuplicateWindow()
	late := w.send(acme, w.token, a)
	if late.Status != http.StatusOK || late.Text != first.Text {
		t.Errorf("the late replay is answered %d %q, the first %q", late.Status, late.Text, first.Text)
	}
	if n := len(w.given("ana")); n != 1 {
		t.Errorf("%d kudos given, want 1", n)
	}
	// Another message, the same words: another kudos.
	other := activity(anaAAD, a.Text)
	other.ID += "1"
	wantContains(t, "another message", w.send(acme, w.token, other).Text, "3 of 5")
}

// pastDuplicateWindow returns once JetStream has forgotten the ids of the
// events the stream holds now.
func (w *world) pastDuplicateWindow() {
	w.t.Helper()
	testenv.PastDuplicateWindow(w.ctx(), w.t, w.store, acme, time.Now())
}

// TestRefusalsInPlace: what the write side refuses is answered in place,
// with 200, in the API's words and with what is left; what cannot be
// mapped to members is named. Nothing is given.
func TestRefusalsInPlace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	tests := []struct {
		name, from, text string
		want             []string
	}{
		{"over the allowance", anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> <at>Cy Chen</at> +3 " + specific,
			[]string{"Not given: allowance: 6 points requested, 5 of 5 left this period, resets at "}},
		{"generic praise", anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> great job",
			[]string{"Not given: message: ", "You have 5 of 5 points left today (resets "}},
		{"self", anaAAD, "<at>Plaudit</at> <at>Ana Alves</at> " + specific,
			[]string{"Not given: to: includes the giver \"ana\": nobody recognises themselves", "5 of 5"}},
		{"an inactive member", anaAAD, "<at>Plaudit</at> <at>Zed Zane</at> " + specific,
			[]string{"Not given: ", "no member of this tenant is called \u201cZed Zane\u201d", "5 of 5"}},
		{"unknown", anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> <at>Eve Evans</at> " + specific,
			[]string{"no member of this tenant is called \u201cEve Evans\u201d", "5 of 5"}},
		{"ambiguous", anaAAD, "<at>Plaudit</at> <at>Dee Doe</at> " + specific,
			[]string{"several members are called \u201cDee Doe\u201d (members dee, dee2)", "teams_user_id"}},
		{"nobody mentioned", anaAAD, "<at>Plaudit</at> " + specific,
			[]string{"Not given: mention who you recognise"}},
		{"the values a tenant has not", anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> #bravado " + specific,
			[]string{"Not given: values: "}},
		{"a sender not linked", "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5eff", example,
			[]string{"Not given: your Teams account is not linked to a Plaudit member"}},
		{"an inactive sender", zedAAD, example,
			[]string{"Not given: from: member \"zed\" is not active"}},
	}
	w.setValues("ownership", "kindness")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.send(acme, w.token, activity(tt.from, tt.text))
			if r.Status != http.StatusOK {
				t.Fatalf("answer %d %s", r.Status, r.Body)
			}
			wantContains(t, "answer", r.Text, tt.want...)
		})
	}
	for _, m := range []string{"ana", "zed"} {
		if n := len(w.given(m)); n != 0 {
			t.Errorf("%s gave %d kudos", m, n)
		}
	}
	// Spent down to 1, a refusal says so.
	wantContains(t, "a give", w.send(acme, w.token, activity(anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> +4 "+specific)).Text, "1 of 5")
	wantContains(t, "the refusal after", w.send(acme, w.token, activity(anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> +2 "+specific)).Text,
		"Not given: allowance: 2 points requested, 1 of 5 left this period")
}

// TestAnswersInTime: when the engine cannot answer (here its NATS server
// is gone), an activity is still answered within AnswerWithin and a
// margin, well before Teams gives up (about five seconds).
func TestAnswersInTime(t *testing.T) {
	t.Parallel()
	const within = 300 * time.Millisecond
	w := newWorldWith(t, 0, func(c *teams.Config) { c.AnswerWithin = within })
	w.nats.Shutdown()
	body, err := json.Marshal(activity(anaAAD, "<at>Plaudit</at> <at>Bo Berg</at> "+specific))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	r, err := teamsfake.Send(ctx, w.url, acme, w.token, body)
	if took := time.Since(start); err != nil || took > within+2*time.Second {
		t.Errorf("answered %+v, %v after %v; want an answer within %v", r, err, took, within)
	}
}
