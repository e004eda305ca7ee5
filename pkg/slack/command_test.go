package slack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/slack"
)

// TestKudosCommand: /kudos gives an ordinary kudos from the member who
// is the Slack user, to the members who are the people mentioned, and
// answers in place with what was given and what is left; a refusal is
// answered in the API's words, with what is left. The cases run in
// order on one world, each its own request (trigger_id), ana's allowance
// spent as they go.
func TestKudosCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, text string
		want             []string // in the answer
		gives            bool
	}{
		{"one point by default", "U0ANA", "<@U0BO> for staying on the outage bridge until it closed",
			[]string{"You gave <@U0BO> 1 point.", "You have 4 of 5 points left today (resets "}, true},
		{"a value the tenant does not have is the tenant's to refuse", "U0ANA", "<@U0BO> #Craft for staying on the outage bridge until it closed",
			[]string{"You gave <@U0BO> 1 point for #craft.", "You have 3 of 5 points left today"}, true},
		{"gives to two, one found by e-mail", "U0ANA", "<@U0BO|bo> <@U0CY> +1 #ownership for staying on the outage bridge until it closed",
			[]string{"You gave <@U0BO> and <@U0CY> 1 point each for #ownership.", "You have 1 of 5 points left today"}, true},
		{"generic praise", "U0ANA", "<@U0BO> great job, thanks so much, you are awesome!",
			[]string{"Not given: message: is generic praise only; say what they did and why it mattered.", "You have 1 of 5 points left"}, false},
		{"allowance exceeded", "U0ANA", "<@U0BO> +2 for staying on the outage bridge until it closed",
			[]string{"Not given: allowance: 2 points requested, 1 of 5 left this period", "You have 1 of 5 points left today"}, false},
		{"self-recognition", "U0ANA", "<@U0ANA|ana> for staying on the outage bridge until it closed",
			[]string{`Not given: to: includes the giver "ana": nobody recognises themselves.`, "You have 1 of 5 points left"}, false},
		{"a recipient who is no member", "U0ANA", "<@U0ZED> for staying on the outage bridge until it closed",
			[]string{"Not given: <@U0ZED> is not a member of Plaudit here"}, false},
		{"a recipient Slack does not know", "U0ANA", "<@U0NOBODY> for staying on the outage bridge until it closed",
			[]string{"Not given: <@U0NOBODY> is not a member of Plaudit here"}, false},
		{"a giver who is no member", "U0ZED", "<@U0BO> for staying on the outage bridge until it closed",
			[]string{"Not given: you are not a member of Plaudit here"}, false},
		{"nobody named", "U0ANA", "for staying on the outage bridge until it closed",
			[]string{"Give kudos like this"}, false},
	}
	w := newWorld(t, options{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.kudos())
			r := w.ok(w.send.Command(tt.user, tt.text, fmt.Sprintf("trig.%d", i), nil))
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"response_type":"ephemeral"`) {
				t.Fatalf("%d %s, want an ephemeral answer", r.Status, r.Body)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.Text(), want) {
					t.Errorf("answer %q does not say %q", r.Text(), want)
				}
			}
			k := w.kudos()
			if !tt.gives {
				if len(k) != before {
					t.Errorf("kudos given: %+v", k[before:])
				}
				return
			}
			if len(k) != before+1 || k[before].Giver != "ana" || k[before].Channel != event.ChannelChat || k[before].Visibility != event.Public {
				t.Fatalf("kudos %+v, want one more from ana through chat, public", k)
			}
		})
	}
}

// TestKudosCommandLinksByEmail: a Slack user the directory does not know
// by id is found by their profile's e-mail address, and the link is kept
// in the directory, so the next command asks Slack nothing.
func TestKudosCommandLinksByEmail(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	r := w.ok(w.send.Command("U0ANA", "<@U0CY> +2 #ownership for staying on the outage bridge until it closed", "t1", nil))
	if !strings.HasPrefix(r.Text(), "You gave <@U0CY> 2 points") {
		t.Fatalf("answer %q", r.Text())
	}
	k := w.kudos()
	if len(k) != 1 || k[0].Recipients[0] != "cy" || k[0].Points != 2 || k[0].Values[0] != "ownership" ||
		k[0].Message != "for staying on the outage bridge until it closed" {
		t.Fatalf("kudos %+v", k)
	}
	if m, ok := w.cmd.Directory().Member(tenant, "cy"); !ok || m.SlackUserID != "U0CY" || m.Email != "cy@example.com" || m.Team != "web" {
		t.Fatalf("cy in the directory: %+v", m)
	}
	asked := len(w.fake.Calls("users.info"))
	w.ok(w.send.Command("U0ANA", "<@U0CY> for writing down how the failover really works", "t2", nil))
	if n := len(w.fake.Calls("users.info")); n != asked {
		t.Errorf("users.info called %d times after the link, before %d", n, asked)
	}
}

// TestKudosCommandRetriedGivesOnce: the same request sent again (Slack's
// retry, the same trigger_id) gives nothing new and is answered alike;
// also once the stream's duplicate window has passed.
func TestKudosCommandRetriedGivesOnce(t *testing.T) {
	t.Parallel()
	const window = 200 * time.Millisecond
	w := newWorld(t, options{dupWindow: window})
	text := "<@U0BO> +2 #ownership for staying on the outage bridge until it closed"
	first := w.ok(w.send.Command("U0ANA", text, "13345224609.738474920.8088930838d88f008e0", nil))
	at := time.Now()
	again := w.ok(w.send.Command("U0ANA", text, "13345224609.738474920.8088930838d88f008e0", map[string]string{slack.HeaderRetryNum: "1"}))
	if first.Text() != again.Text() || !strings.Contains(first.Text(), "You have 3 of 5 points left today") {
		t.Errorf("answers %q then %q, want the same, 3 left", first.Text(), again.Text())
	}
	if !waitPast(at, window) {
		t.Fatal("the duplicate window did not pass")
	}
	late := w.ok(w.send.Command("U0ANA", text, "13345224609.738474920.8088930838d88f008e0", map[string]string{slack.HeaderRetryNum: "2"}))
	if late.Text() != first.Text() {
		t.Errorf("a late retry answered %q, want %q", late.Text(), first.Text())
	}
	if k := w.kudos(); len(k) != 1 {
		t.Errorf("%d kudos given, want 1", len(k))
	}
	other := w.ok(w.send.Command("U0ANA", text, "13345224609.738474920.another", nil))
	if !strings.Contains(other.Text(), "You have 1 of 5 points left") || len(w.kudos()) != 2 {
		t.Errorf("another request: %q, %d kudos", other.Text(), len(w.kudos()))
	}
}

// TestKudosCommandAnswersInTime: when Slack is slow to say who a user
// is, the command is still answered within the app's AnswerWithin,
// saying to try again, and gives nothing.
func TestKudosCommandAnswersInTime(t *testing.T) {
	t.Parallel()
	const within = 300 * time.Millisecond
	w := newWorld(t, options{answerWithin: within})
	w.fake.Hold("users.info", 3*time.Second) // past within and its margin: given up on
	start := time.Now()
	r := w.ok(w.send.Command("U0ANA", "<@U0CY> for staying on the outage bridge until it closed", "t1", nil))
	// The margin is generous (the answer's own reads have a deadline of
	// their own); the hold is longer still.
	if took := time.Since(start); took >= within+2*time.Second || r.Status != http.StatusOK || !strings.Contains(r.Text(), "try again") {
		t.Errorf("answered %d %q after %v, want a reply within %v", r.Status, r.Text(), took, within)
	}
	if k := w.kudos(); len(k) != 0 {
		t.Errorf("kudos given: %+v", k)
	}
}
