package slack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/slack"
)

// TestReactionGivesAndRemovalRetracts: the tenant's emoji on a message
// gives its author a point from the member who reacted, quoting the
// message; Slack's retry of the event gives nothing more; removing the
// reaction retracts the kudos, and adding it again gives nothing, also
// once the stream's duplicate window has passed.
func TestReactionGivesAndRemovalRetracts(t *testing.T) {
	t.Parallel()
	const window = 200 * time.Millisecond
	w := newWorld(t, options{dupWindow: window})
	w.fake.AddMessage("C0OPS", "1700000000.000100", "Failover runbook is updated: <https://wiki.example/runbook|runbook>, ask <@U0ANA> if unclear")
	react := func(eventID string, removed bool, retry string) {
		t.Helper()
		h := map[string]string{}
		if retry != "" {
			h[slack.HeaderRetryNum] = retry
		}
		r := w.ok(w.send.Reaction(eventID, removed, "U0ANA", "U0BO", "C0OPS", "1700000000.000100", "taco", h))
		if r.Status != http.StatusOK {
			t.Fatalf("event %s: %d %s", eventID, r.Status, r.Body)
		}
	}
	react("Ev01", false, "")
	react("Ev01", false, "1")
	k := w.kudos()
	if len(k) != 1 {
		t.Fatalf("%d kudos, want 1", len(k))
	}
	if k[0].Giver != "ana" || k[0].Recipients[0] != "bo" || k[0].Points != 1 || k[0].Channel != event.ChannelChat ||
		k[0].Message != `:taco: for your message: “Failover runbook is updated: runbook, ask @U0ANA if unclear”` {
		t.Errorf("kudos %+v", k[0])
	}
	history := w.fake.Calls("conversations.history")
	if len(history) == 0 || history[0].Str("channel") != "C0OPS" || history[0].Str("latest") != "1700000000.000100" ||
		history[0].Str("inclusive") != "true" || history[0].Str("limit") != "1" {
		t.Errorf("conversations.history calls %v", history)
	}
	given := time.Now()
	react("Ev02", true, "")
	if n := len(w.events(event.TypeKudosRetracted)); n != 1 {
		t.Fatalf("%d retractions, want 1", n)
	}
	react("Ev03", false, "")
	if !waitPast(given, window) {
		t.Fatal("the duplicate window did not pass")
	}
	react("Ev04", false, "")
	react("Ev04", false, "1")
	if n := len(w.kudos()); n != 1 {
		t.Errorf("%d kudos after the reaction came back, want 1", n)
	}
	react("Ev05", true, "")
	if n := len(w.events(event.TypeKudosRetracted)); n != 1 {
		t.Errorf("%d retractions, want 1", n)
	}
}

// TestReactionPassesOver: another emoji, a reaction to one's own message
// and a reaction between people who are not both members give nothing;
// the one on one's own message is told why, where only they see it.
func TestReactionPassesOver(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	tests := []struct {
		name, user, author, emoji string
	}{
		{"another emoji", "U0ANA", "U0BO", "tada"},
		{"own message", "U0ANA", "U0ANA", "taco"},
		{"the author is no member", "U0ANA", "U0ZED", "taco"},
		{"the reacting user is no member", "U0ZED", "U0BO", "taco"},
	}
	for i, tt := range tests {
		r := w.ok(w.send.Reaction("Ev"+tt.name, false, tt.user, tt.author, "C0OPS", "1700000000.00010"+string(rune('0'+i)), tt.emoji, nil))
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", tt.name, r.Status, r.Body)
		}
	}
	if k := w.kudos(); len(k) != 0 {
		t.Errorf("kudos given: %+v", k)
	}
	told := w.fake.Calls("chat.postEphemeral")
	if len(told) != 1 || told[0].Str("user") != "U0ANA" || told[0].Str("channel") != "C0OPS" ||
		!strings.Contains(told[0].Str("text"), "nobody recognises themselves") {
		t.Errorf("ephemeral messages %v, want one telling U0ANA why", told)
	}
}

// TestReactionWithoutTheMessage: a message the bot cannot read (not in
// the channel) still gives, without its text.
func TestReactionWithoutTheMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	r := w.ok(w.send.Reaction("Ev1", false, "U0BO", "U0ANA", "C0SECRET", "1700000000.000200", "taco", nil))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if k := w.kudos(); len(k) != 1 || k[0].Message != ":taco: for your message in Slack" {
		t.Errorf("kudos %+v", k)
	}
}
