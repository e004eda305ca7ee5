package teams_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/teams"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestKudosCard: a public kudos reaches the kudos workflow as an Adaptive
// Card naming the giver and the recipients (mentions of those Teams
// knows), the points, the values and the message; a private one never
// does.
func TestKudosCard(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	w.give("ana", 1, event.Private, "bo")
	id := w.give("ana", 2, event.Public, "bo", "cy")
	w.posts("kudos", 1)
	w.give("bo", 1, event.Public, "ana")
	posts := w.posts("kudos", 2)
	if len(posts) != 2 {
		t.Fatalf("%d cards, want 2 (the private kudos is not posted)", len(posts))
	}
	p := posts[0]
	if p.Plaudit["kind"] != "kudos" || p.Plaudit["event_id"] != id || p.Plaudit["tenant"] != acme {
		t.Errorf("routing %v", p.Plaudit)
	}
	text := p.Card.Text()
	wantContains(t, "card", text, "<at>Ana Alves</at> recognised <at>Bo Berg</at> and <at>Cy Chen</at>",
		"Thanks for untangling the refund queue", "Points: 2 each", "Values: #ownership")
	mentioned := map[string]string{}
	for _, e := range p.Card.MSTeams.Entities {
		mentioned[e.Text] = e.Mentioned.ID
	}
	if mentioned["<at>Ana Alves</at>"] != anaAAD || mentioned["<at>Bo Berg</at>"] != boAAD || mentioned["<at>Cy Chen</at>"] != "cy@acme.example" {
		t.Errorf("mentions %v", mentioned)
	}
	if !strings.Contains(string(p.Body), `"contentUrl":null`) || !strings.Contains(string(p.Body), `"version":"1.4"`) {
		t.Errorf("body %s", p.Body)
	}
}

// TestNudgeCard: a nudge the rules engine delivered reaches the nudges
// workflow as a card to its member, with their Teams id and e-mail for
// the workflow to route it by; a nudge not delivered (skipped, or waiting
// for quiet hours to end) is not posted.
func TestNudgeCard(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	p := event.DefaultPolicy()
	p.Nudges.Wellness, p.Nudges.QuietHours = event.OptOut, event.QuietHours{Start: "00:00", End: "00:00"}
	if _, err := w.svc.SetPolicy(w.ctx(), command.SetPolicy{Tenant: acme, PolicySet: p}); err != nil {
		t.Fatal(err)
	}
	issue := func(member, cause string) command.NudgeOutcome {
		t.Helper()
		out, err := w.svc.IssueNudge(w.ctx(), command.IssueNudge{
			Tenant: acme, Member: member, Kind: event.NudgeWellness, Reason: "long_interaction", CauseKey: cause,
			Message: "That was a long call. Take five minutes before the next one.",
		})
		if err != nil {
			t.Fatalf("nudge %s: %v", member, err)
		}
		return out
	}
	// cy turned wellness nudges off: skipped, never delivered.
	if _, err := w.svc.SetPreferences(w.ctx(), command.SetPreferences{Tenant: acme, PreferencesSet: event.PreferencesSet{
		Member: "cy", Nudges: event.NudgeChoices{Wellness: event.ChoiceOff}}}); err != nil {
		t.Fatal(err)
	}
	if out := issue("cy", "call-1"); out.Skipped != command.SkippedNotWanted {
		t.Fatalf("cy's nudge: %+v", out)
	}
	if out := issue("ana", "call-2"); out.Skipped != "" || len(out.Events) != 2 {
		t.Fatalf("ana's nudge was not delivered at once: %+v", out)
	}
	posts := w.posts("nudges", 1)
	if len(posts) != 1 {
		t.Fatalf("%d nudge cards, want 1", len(posts))
	}
	n := posts[0]
	r := n.Plaudit
	if r["kind"] != "nudge" || r["member"] != "ana" || r["teams_user_id"] != anaAAD || r["email"] != "ana@acme.example" || r["name"] != "Ana Alves" {
		t.Errorf("routing %v", r)
	}
	wantContains(t, "card", n.Card.Text(), "A nudge for <at>Ana Alves</at>", "Take five minutes")
	if got := w.fake.Posts("kudos"); len(got) != 0 {
		t.Errorf("a nudge went to the kudos workflow: %d cards", len(got))
	}
}

// TestRetryAfterHonoured: a workflow that answers 429 with Retry-After is
// not posted to again sooner, though the relay's backoff (milliseconds)
// would; the card arrives once it takes it.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	w.fake.Throttle("kudos", 2, 1)
	w.give("ana", 1, event.Public, "bo")
	w.posts("kudos", 1)
	at := w.fake.Attempts("kudos")
	if len(at) != 3 {
		t.Fatalf("%d attempts, want 3 (two refused, one taken)", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 950*time.Millisecond {
			t.Errorf("attempt %d came %s after the one before, which asked for 1s", i+1, gap)
		}
	}
}

// TestGoneHaltsDeliveries: a workflow that answers 410 Gone stops its
// relay, which the settings then say; setting the URL again resumes
// where it stopped, with the card it held back.
func TestGoneHaltsDeliveries(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	w.fake.Gone("kudos")
	w.give("ana", 1, event.Public, "bo")
	var v teams.View
	if !testenv.Within(10*time.Second, func() bool {
		s, err := w.teams.Settings(w.ctx(), acme)
		v, _ = s.(teams.View)
		return err == nil && v.KudosHalted != ""
	}) {
		t.Fatalf("the settings never said deliveries stopped: %+v", v)
	}
	wantContains(t, "kudos_halted", v.KudosHalted, "410 Gone")
	w.fake.Throttle("kudos", 0, 0) // the workflow is back
	w.configure(acme, map[string]any{"kudos_url": w.fake.WorkflowURL("kudos")})
	if p := w.posts("kudos", 1); len(p) != 1 {
		t.Fatalf("%d cards after resuming, want 1", len(p))
	}
	if n := len(w.fake.Attempts("kudos")); n != 2 {
		t.Errorf("%d attempts, want the one refused and the one taken", n)
	}
}

// TestRemoveStopsDeliveries: once Teams is removed, a tenant's kudos
// are no longer posted, its messages route answers 404, and setting it up
// again delivers from then on, not what was given in between.
func TestRemoveStopsDeliveries(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	w.give("ana", 1, event.Public, "bo")
	w.posts("kudos", 1)
	if err := w.teams.Remove(w.ctx(), acme); err != nil {
		t.Fatal(err)
	}
	if r := w.send(acme, w.token, activity(anaAAD, example)); r.Status != http.StatusNotFound {
		t.Errorf("messages after Remove: %d %s", r.Status, r.Body)
	}
	// The relays stop once the engine sees the settings gone: wait
	// until the consumer is dropped.
	if !testenv.Within(10*time.Second, func() bool {
		_, err := w.store.Stream().Consumer(w.ctx(), teams.RelayName(acme, "kudos"))
		return err != nil
	}) {
		t.Fatal("the kudos relay's consumer is still there")
	}
	w.give("ana", 1, event.Public, "cy") // while removed: never posted
	w.configure(acme, map[string]any{"security_token": w.token, "kudos_url": w.fake.WorkflowURL("kudos")})
	w.give("bo", 1, event.Public, "ana")
	posts := w.posts("kudos", 2)
	if len(posts) != 2 || !strings.Contains(posts[1].Card.Text(), "Bo Berg</at> recognised") {
		t.Errorf("cards after setting Teams up again: %d, the second %q", len(posts), posts[len(posts)-1].Card.Text())
	}
}

// TestRetractedKudosNotPosted: a kudos retracted before the workflow took
// its card is not posted (here the workflow refuses it once, and its
// refusal is held until the kudos is retracted); the next kudos is.
func TestRetractedKudosNotPosted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	retracted := make(chan struct{})
	w.fake.Throttle("kudos", 1, 0)
	w.fake.Gate("kudos", retracted)
	id := w.give("ana", 1, event.Public, "bo")
	if !testenv.Within(10*time.Second, func() bool { return len(w.fake.Attempts("kudos")) == 1 }) {
		t.Fatal("the card was never tried")
	}
	if _, err := w.svc.RetractKudos(w.ctx(), command.RetractKudos{Tenant: acme, KudosID: id, By: "ana", ByRole: event.ByGiver, Reason: "sent to the wrong person"}); err != nil {
		t.Fatal(err)
	}
	close(retracted) // the second attempt comes after the retraction
	w.give("ana", 1, event.Public, "cy")
	posts := w.posts("kudos", 1)
	if len(posts) != 1 || !strings.Contains(posts[0].Card.Text(), "Cy Chen") {
		t.Errorf("cards: %d, the first %q; want only cy's", len(posts), posts[0].Card.Text())
	}
}
