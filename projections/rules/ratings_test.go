package rules_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/internal/projtest"
	"github.com/plaudit/plaudit/projections/rules"
)

// TestRatingCorrections: a correction that no longer qualifies retracts
// the kudos its rating earned; one that qualifies again, or first, gives
// kudos caused by the correction; a correction naming another agent moves
// it; a withdrawal retracts it. Worked out by hand, step by step.
func TestRatingCorrections(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	w := newWorld(t, at)
	w.seedLisbon(t, "support", "", "bo", "cy")
	ended := at.Add(-2 * time.Minute)
	correct := func(interaction string, body map[string]any, status int) string {
		t.Helper()
		delete(body, "platform")
		delete(body, "interaction_id")
		r := w.Do(t, "PUT", "/v1/ratings/cxone/"+interaction, w.publisher, body).Want(t, status)
		w.settle(t)
		return r.Str("id")
	}
	type step struct {
		want []ruleKudosEvent // every rule kudos so far, in stream order
	}
	check := func(what string, want ...ruleKudosEvent) {
		t.Helper()
		got := w.ruleKudos(t)
		if len(got) != len(want) {
			t.Fatalf("%s: rule kudos %+v, want %+v", what, got, want)
		}
		for i := range want {
			want[i].ID = got[i].ID
			if got[i] != want[i] {
				t.Errorf("%s: kudos %d = %+v, want %+v", what, i, got[i], want[i])
			}
		}
	}

	r1 := w.rate(t, rating("call/1", "bo", 5, event.ScaleStars5, 4*time.Minute, ended))
	check("5 stars", ruleKudosEvent{Agent: "bo", CauseID: r1, CauseType: event.TypeRatingReceived})

	c1 := correct("call/1", rating("", "bo", 3, event.ScaleStars5, 4*time.Minute, ended), http.StatusCreated)
	check("corrected to 3 stars", ruleKudosEvent{Agent: "bo", CauseID: r1, CauseType: event.TypeRatingReceived, Retracted: true})
	if c1 == "" {
		t.Fatal("no correction id")
	}

	c2 := correct("call/1", rating("", "bo", 5, event.ScaleStars5, 4*time.Minute, ended), http.StatusCreated)
	check("corrected back to 5 stars",
		ruleKudosEvent{Agent: "bo", CauseID: r1, CauseType: event.TypeRatingReceived, Retracted: true},
		ruleKudosEvent{Agent: "bo", CauseID: c2, CauseType: event.TypeRatingCorrected})

	// The same correction again changes nothing: a replay.
	before := w.StreamLastSeq(t)
	body := rating("", "bo", 5, event.ScaleStars5, 4*time.Minute, ended)
	delete(body, "platform")
	delete(body, "interaction_id")
	if r := w.Do(t, "PUT", "/v1/ratings/cxone/call/1", w.publisher, body).Want(t, http.StatusOK); r.Str("id") != c2 {
		t.Errorf("repeated correction answered %s, want %s", r.Body, c2)
	}
	if after := w.StreamLastSeq(t); after != before {
		t.Errorf("a repeated correction appended %d events", after-before)
	}

	c3 := correct("call/1", rating("", "cy", 5, event.ScaleStars5, 4*time.Minute, ended), http.StatusCreated)
	check("corrected to another agent",
		ruleKudosEvent{Agent: "bo", CauseID: r1, CauseType: event.TypeRatingReceived, Retracted: true},
		ruleKudosEvent{Agent: "bo", CauseID: c2, CauseType: event.TypeRatingCorrected, Retracted: true},
		ruleKudosEvent{Agent: "cy", CauseID: c3, CauseType: event.TypeRatingCorrected})

	w.Do(t, "DELETE", "/v1/ratings/cxone/call/1", w.publisher, `{"reason":"survey answered by mistake"}`).Want(t, http.StatusCreated)
	w.settle(t)
	check("withdrawn",
		ruleKudosEvent{Agent: "bo", CauseID: r1, CauseType: event.TypeRatingReceived, Retracted: true},
		ruleKudosEvent{Agent: "bo", CauseID: c2, CauseType: event.TypeRatingCorrected, Retracted: true},
		ruleKudosEvent{Agent: "cy", CauseID: c3, CauseType: event.TypeRatingCorrected, Retracted: true})
	w.Do(t, "DELETE", "/v1/ratings/cxone/call/1", w.publisher, nil).Want(t, http.StatusOK)
	w.Do(t, "PUT", "/v1/ratings/cxone/call/1", w.publisher, body).WantProblem(t, http.StatusConflict, "interaction_id")

	// A low rating corrected up earns kudos then, and only then.
	w.rate(t, rating("call-2", "bo", 2, event.ScaleStars5, time.Minute, ended))
	c4 := correct("call-2", rating("", "bo", 5, event.ScaleStars5, time.Minute, ended), http.StatusCreated)
	got := w.ruleKudos(t)
	if n := len(got); n != 4 || got[3].CauseID != c4 || got[3].Agent != "bo" || got[3].Retracted {
		t.Errorf("after correcting a low rating up: %+v", got)
	}

	// The density projection counts the kudos a correction earned as from
	// a customer, 2 minutes after the interaction; the retracted ones not
	// at all.
	var fig apiv1.MemberDensity
	w.clock.Set(at.Add(time.Minute)) // the window ends before now
	w.Do(t, "GET", "/v1/members/bo/density?window=1d", w.admin, nil).Want(t, http.StatusOK).Decode(t, &fig)
	if fig.Received != 1 || fig.Direction.Customer != 1 || fig.Timeliness.Count != 1 || fig.Timeliness.MaxSeconds != 120 {
		t.Errorf("bo's density after the corrections: %+v", fig)
	}

	// Bad corrections change nothing and say why.
	before = w.StreamLastSeq(t)
	w.Do(t, "PUT", "/v1/ratings/cxone/no-such-call", w.publisher, body).WantProblem(t, http.StatusNotFound, "interaction_id")
	bad := rating("", "bo", 6, event.ScaleStars5, time.Minute, ended)
	delete(bad, "platform")
	delete(bad, "interaction_id")
	w.Do(t, "PUT", "/v1/ratings/cxone/call-2", w.publisher, bad).WantProblem(t, http.StatusUnprocessableEntity, "score")
	w.Do(t, "PUT", "/v1/ratings/cxone/call-2", w.publisher, `{"score":5,"scale":"stars_5","agent":"bo","channel":"voice","occurred_at":"2026-11-30T09:58:00Z","platform":"x"}`).
		WantProblem(t, http.StatusBadRequest, "platform")
	w.Do(t, "PUT", "/v1/ratings/cxone", w.publisher, body).WantProblem(t, http.StatusNotFound, "interaction_id")
	member := w.Key(t, "acme", auth.Member, "bo")
	w.Do(t, "DELETE", "/v1/ratings/cxone/call-2", member, nil).WantProblem(t, http.StatusForbidden, "Authorization")
	if after := w.StreamLastSeq(t); after != before {
		t.Errorf("refused corrections appended %d events", after-before)
	}
}

// TestTenantThresholds: the tenant's rules.rating_kudos decide which
// ratings become kudos, as the policy stood when each rating came; a
// rebuild decides the same and emits nothing.
func TestTenantThresholds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	w := newWorld(t, at)
	w.seedLisbon(t, "support", "", "bo")
	w.policy(t, `{"rules":{"rating_kudos":{"stars_5":4,"csat_5":5,"nps_10":10}}}`)
	ended := at.Add(-time.Minute)
	want := map[string]bool{
		w.rate(t, rating("s4", "bo", 4, event.ScaleStars5, time.Minute, ended)):  true,
		w.rate(t, rating("s3", "bo", 3, event.ScaleStars5, time.Minute, ended)):  false,
		w.rate(t, rating("n9", "bo", 9, event.ScaleNPS10, time.Minute, ended)):   false,
		w.rate(t, rating("n10", "bo", 10, event.ScaleNPS10, time.Minute, ended)): true,
		w.rate(t, rating("c4", "bo", 4, event.ScaleCSAT5, time.Minute, ended)):   false,
		w.rate(t, rating("c5", "bo", 5, event.ScaleCSAT5, time.Minute, ended)):   true,
	}
	w.policy(t, `{"rules":{"rating_kudos":{"stars_5":5,"csat_5":5,"nps_10":9}}}`)
	want[w.rate(t, rating("s4-later", "bo", 4, event.ScaleStars5, time.Minute, ended))] = false
	want[w.rate(t, rating("n9-later", "bo", 9, event.ScaleNPS10, time.Minute, ended))] = true
	check := func(what string) {
		t.Helper()
		got := map[string]bool{}
		for _, k := range w.ruleKudos(t) {
			got[k.CauseID] = true
		}
		for id, earns := range want {
			if got[id] != earns {
				t.Errorf("%s: rating %s earned kudos %v, want %v", what, id, got[id], earns)
			}
		}
		if len(got) != 4 {
			t.Errorf("%s: %d rule kudos, want 4", what, len(got))
		}
	}
	check("live")
	last := w.StreamLastSeq(t)
	rebuild(t, w.Engine)
	if now := w.StreamLastSeq(t); now != last {
		t.Errorf("the rebuild under a changed policy appended %d events", now-last)
	}
	check("rebuilt")

	// Thresholds are validated, naming the field.
	for _, tc := range []struct{ body, field string }{
		{`{"rules":{"rating_kudos":{"stars_5":3}}}`, "rules.rating_kudos.stars_5"},
		{`{"rules":{"rating_kudos":{"nps_10":6}}}`, "rules.rating_kudos.nps_10"},
		{`{"rules":{"wellness":{"low_rating":{"csat_5":4}}}}`, "rules.wellness.low_rating.csat_5"},
		{`{"rules":{"wellness":{"run_length":1}}}`, "rules.wellness.run_length"},
		{`{"rules":{"gap_days":0}}`, "rules.gap_days"},
		{`{"rules":{"giving_after_percent":100}}`, "rules.giving_after_percent"},
		{`{"rules":{"kudos_for":5}}`, "rules.kudos_for"},
		{`{"rules":{"wellness":{"low_rating":{"stars":1}}}}`, "rules.wellness.low_rating.stars"},
		{`{"nudges":{"daily_cap":21}}`, "nudges.daily_cap"},
		{`{"nudges":{"gap":"sometimes"}}`, "nudges.gap"},
		{`{"nudges":{"quiet_hours":{"start":"25:00","end":"07:00"}}}`, "nudges.quiet_hours.start"},
		{`{"nudges":{"quiet_hours":{"start":"22:00","end":"7am"}}}`, "nudges.quiet_hours.end"},
		{`{"nudges":{"daily_cap":"3"}}`, "nudges.daily_cap"},
	} {
		status := http.StatusUnprocessableEntity
		if tc.field == "rules.kudos_for" || tc.field == "rules.wellness.low_rating.stars" || tc.body == `{"nudges":{"daily_cap":"3"}}` {
			status = http.StatusBadRequest
		}
		w.Do(t, "PUT", "/v1/policy", w.admin, tc.body).WantProblem(t, status, tc.field)
	}
	if now := w.StreamLastSeq(t); now != last {
		t.Errorf("refused policies appended %d events", now-last)
	}
}

// ruleKudos reads the kudos the rules engine gave, by the rating that
// caused each.
func ruleKudos(t *testing.T, e *enginetest.Engine) map[string]event.KudosGiven {
	t.Helper()
	out := map[string]event.KudosGiven{}
	streamEvents(t, e, func(_ event.Envelope, d event.Data) {
		if k, ok := d.(event.KudosGiven); ok && k.Channel == event.ChannelRule {
			if _, dup := out[k.Cause.EventID]; dup {
				t.Errorf("two kudos for rating %s", k.Cause.EventID)
			}
			out[k.Cause.EventID] = k
		}
	})
	return out
}

// TestRatingsBecomeRecognition: ratings at their scale's threshold become
// kudos to the agent from the platform's customers, quoting the comment;
// lower ones and ratings of members who left give nothing. Rebuilding the
// rules engine, or a second replica reading the whole stream, gives
// nothing new.
func TestRatingsBecomeRecognition(t *testing.T) {
	t.Parallel()
	e, admin := startRules(t,
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "cy", Team: "support", TimeZone: "Asia/Tokyo"},
	)
	e.Do(t, "DELETE", "/v1/members/cy", admin, nil).Want(t, http.StatusCreated)
	publisher := e.Key(t, "acme", auth.Publisher, "")
	rate := func(agent, scale string, score int, comment string) string {
		t.Helper()
		body := map[string]any{"platform": "cxone", "interaction_id": fmt.Sprintf("call-%s-%s-%d", agent, scale, score), "agent": agent,
			"score": score, "scale": scale, "channel": "voice", "handle_time_seconds": 240,
			"occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
		if comment != "" {
			body["comment"] = comment
		}
		return e.Do(t, "POST", "/v1/ratings", publisher, body).Want(t, http.StatusCreated).Str("id")
	}
	want := map[string]bool{
		rate("bo", event.ScaleStars5, 5, "Bo sorted out my router in ten minutes"): true,
		rate("bo", event.ScaleStars5, 4, ""):                                       false,
		rate("bo", event.ScaleNPS10, 9, ""):                                        true,
		rate("bo", event.ScaleNPS10, 8, "fine"):                                    false,
		rate("bo", event.ScaleCSAT5, 5, ""):                                        true,
		rate("bo", event.ScaleCSAT5, 1, "awful"):                                   false,
	}
	e.CaughtUp(t, 10*time.Second)
	got := ruleKudos(t, e)
	for id, qualifies := range want {
		k, ok := got[id]
		if ok != qualifies {
			t.Errorf("rating %s: kudos %v, want %v", id, ok, qualifies)
			continue
		}
		if ok && (k.Giver != command.CustomerGiver("cxone") || len(k.Recipients) != 1 || k.Recipients[0] != "bo" ||
			k.Spent != 0 || k.Visibility != event.Public || k.Cause.Type != event.TypeRatingReceived) {
			t.Errorf("kudos for rating %s: %+v", id, k)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d rule kudos, want 3", len(got))
	}
	var quoted bool
	for _, k := range got {
		quoted = quoted || k.Message == "A customer rated your call 5 of 5: “Bo sorted out my router in ten minutes”"
	}
	if !quoted {
		t.Errorf("no kudos quotes the customer: %+v", got)
	}

	// Nothing for a member who left, however high the rating.
	e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{"platform": "cxone", "interaction_id": "call-cy", "agent": "cy",
		"score": 5, "scale": "stars_5", "channel": "voice", "handle_time_seconds": 60,
		"occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}).Want(t, http.StatusCreated)
	e.CaughtUp(t, 10*time.Second)
	if n := len(ruleKudos(t, e)); n != 3 {
		t.Errorf("%d rule kudos after a rating of a member who left, want 3", n)
	}

	// A rebuild applies every rating again, and emits nothing.
	last := e.StreamLastSeq(t)
	rebuild(t, e)
	if now := e.StreamLastSeq(t); now != last {
		t.Errorf("the rebuild appended %d events", now-last)
	}
	if n := len(ruleKudos(t, e)); n != 3 {
		t.Errorf("%d rule kudos after the rebuild, want 3", n)
	}

	// A second replica reads every rating from the first: it emits nothing
	// either, though neither knows of the other.
	mod := rules.Module()
	mod.Projection.(rules.Projection).UseCommands(e.Command)
	r2, err := projector.New(mod.Projection, projector.Config{Stream: e.Store, Dir: t.TempDir(), Replica: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if err := projtest.RunTo(r2, last, 10*time.Second); err != nil {
		t.Fatalf("replica: %v", err)
	}
	if r2.LastSeq() < last {
		t.Fatalf("replica at %d of %d", r2.LastSeq(), last)
	}
	if now := e.StreamLastSeq(t); now != last {
		t.Errorf("a second replica appended %d events", now-last)
	}
}
