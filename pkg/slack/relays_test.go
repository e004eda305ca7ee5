package slack_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/slackfake"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestPostsToTeamChannels: each public kudos given once the tenant
// configured Slack is posted to its recipients' teams' channels, once
// per channel; private kudos are not. Slack's 429 is honoured for as
// long as its Retry-After says, and a kudos retried after some of its
// posts went out posts only the rest.
func TestPostsToTeamChannels(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{relays: true, unconfigured: true})
	w.give("dan", []string{"ana"}, event.Public) // before the settings: not posted
	w.configure(defaultSettings)
	w.fake.RateLimit("chat.postMessage", "C0WEB", 1, 1)
	w.give("ana", []string{"bo", "cy"}, event.Public)
	w.give("bo", []string{"ana"}, event.Private)
	w.give("ana", []string{"dan"}, event.Public)
	calls := w.waitCalls("chat.postMessage", 4)
	var ops, web []slackfake.Call
	for _, c := range calls {
		switch c.Str("channel") {
		case "C0OPS":
			ops = append(ops, c)
		case "C0WEB":
			web = append(web, c)
		}
	}
	if len(ops) != 1 || len(web) != 3 || len(calls) != 4 {
		t.Fatalf("posts %v, want one to C0OPS and three to C0WEB (one refused)", calls)
	}
	if got := ops[0].Str("text"); !strings.HasPrefix(got, ":tada: <@U0ANA> recognised <@U0BO> and *Cy* (1 point each)") ||
		!strings.Contains(got, ">for writing the runbook") {
		t.Errorf("post %q", got)
	}
	if !web[0].Limited || web[1].Limited || web[1].Str("text") != ops[0].Str("text") {
		t.Errorf("C0WEB posts %v, want the refused one posted again", web)
	}
	if gap := web[1].At.Sub(web[0].At); gap < time.Second {
		t.Errorf("posted again %v after a 429 with Retry-After: 1", gap)
	}
	if !strings.Contains(web[2].Str("text"), "recognised *Dan*") {
		t.Errorf("third C0WEB post %q", web[2].Str("text"))
	}
}

// TestRemovedStopsPosting: once the settings are removed the relays stop;
// configured again, they post what is given from then on.
func TestRemovedStopsPosting(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{relays: true})
	w.give("ana", []string{"bo"}, event.Public)
	w.waitCalls("chat.postMessage", 1)
	if err := w.app.Remove(w.ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.Settings(w.ctx, tenant); !errors.Is(err, slack.ErrNotConfigured) {
		t.Fatalf("settings after remove: %v", err)
	}
	w.give("ana", []string{"cy"}, event.Public) // not posted
	w.configure(defaultSettings)
	w.give("ana", []string{"dan"}, event.Public)
	calls := w.waitCalls("chat.postMessage", 2)
	if len(calls) != 2 || !strings.Contains(calls[1].Str("text"), "*Dan*") {
		t.Errorf("posts %v, want bo's then dan's", calls)
	}
}

// issueNudge issues and delivers a wellness nudge to member.
func (w *world) issueNudge(member, cause string) string {
	w.t.Helper()
	none := &event.QuietHours{Start: "00:00", End: "00:00"}
	if _, err := w.cmd.SetPreferences(w.ctx, command.SetPreferences{Tenant: tenant,
		PreferencesSet: event.PreferencesSet{Member: member, Nudges: event.NudgeChoices{Wellness: event.ChoiceOn}, QuietHours: none}}); err != nil {
		w.t.Fatal(err)
	}
	out, err := w.cmd.IssueNudge(w.ctx, command.IssueNudge{Tenant: tenant, Member: member, Kind: event.NudgeWellness,
		Reason: event.ReasonLongInteraction, Message: "That was a long call (50 minutes). Take a few minutes <before> the next one.",
		CauseKey: cause})
	if err != nil || out.Skipped != "" {
		w.t.Fatalf("nudge: %+v, %v", out, err)
	}
	return out.Events[0].ID
}

// TestNudgesAsDirectMessages: a nudge delivered goes to its member as a
// direct message with Acknowledge and Dismiss buttons; a member without a
// Slack id is passed over. The member's click acknowledges it and the
// message says so; someone else's click settles nothing and is told why.
func TestNudgesAsDirectMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{relays: true})
	w.issueNudge("dan", "call-1")
	id := w.issueNudge("ana", "call-2")
	posts := w.waitCalls("chat.postMessage", 1)
	if opens := w.fake.Calls("conversations.open"); len(opens) != 1 || opens[0].Str("users") != "U0ANA" {
		t.Fatalf("conversations opened %v, want ana's only", opens)
	}
	dm := posts[0]
	if dm.Str("channel") != "DU0ANA" || !strings.Contains(dm.Str("text"), "Take a few minutes &lt;before&gt; the next one.") {
		t.Errorf("direct message %v", dm)
	}
	for _, want := range []string{`"action_id":"nudge_acknowledge"`, `"action_id":"nudge_dismiss"`, `"value":"` + id + `"`, `"text":"Acknowledge"`, `"text":"Dismiss"`} {
		if !strings.Contains(text(dm), want) {
			t.Errorf("direct message lacks %s: %s", want, text(dm))
		}
	}
	ts := "1700000000.000001"
	if r := w.ok(w.send.Click("U0BO", slack.ActionDismiss, id, "DU0ANA", ts)); r.Status != http.StatusOK {
		t.Fatalf("bo's click: %d %s", r.Status, r.Body)
	}
	if n := len(w.events(event.TypeNudgeDismissed)); n != 0 {
		t.Errorf("bo dismissed ana's nudge")
	}
	told := w.fake.Calls("chat.postEphemeral")
	if len(told) != 1 || told[0].Str("user") != "U0BO" || !strings.Contains(told[0].Str("text"), "no nudge") {
		t.Errorf("bo was told %v", told)
	}
	if r := w.ok(w.send.Click("U0ANA", slack.ActionAcknowledge, id, "DU0ANA", ts)); r.Status != http.StatusOK {
		t.Fatalf("ana's click: %d %s", r.Status, r.Body)
	}
	if n := len(w.events(event.TypeNudgeAcknowledged)); n != 1 {
		t.Fatalf("%d acknowledgements, want 1", n)
	}
	updates := w.fake.Calls("chat.update")
	if len(updates) != 1 || updates[0].Str("channel") != "DU0ANA" || updates[0].Str("ts") != ts || !strings.Contains(text(updates[0]), "Acknowledged") ||
		strings.Contains(text(updates[0]), "nudge_dismiss") {
		t.Errorf("updates %v, want the message saying acknowledged, without buttons", updates)
	}
	w.ok(w.send.Click("U0ANA", slack.ActionDismiss, id, "DU0ANA", ts))
	if told := w.fake.Calls("chat.postEphemeral"); len(told) != 2 || !strings.Contains(told[1].Str("text"), "already acknowledged") {
		t.Errorf("ana's second click was told %v", told)
	}
}

// TestClientRetryAfter: the Web API client turns a 429 into a
// relay.RetryAfterError of the wait Slack asked for, and a refusal into
// an *APIError with Slack's code.
func TestClientRetryAfter(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(botToken)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.RateLimit("chat.postMessage", "", 1, 7)
	c := &slack.Client{BaseURL: srv.URL + "/api/"}
	args := map[string]any{"channel": "C0OPS", "text": "hello"}
	err := c.Call(context.Background(), botToken, "chat.postMessage", args, nil)
	var ra *relay.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("a 429: %v, want a RetryAfterError of 7s", err)
	}
	if err := c.Call(context.Background(), botToken, "chat.postMessage", args, nil); err != nil {
		t.Fatalf("after the 429: %v", err)
	}
	err = c.Call(context.Background(), "xoxb-wrong-token", "chat.postMessage", args, nil)
	var ae *slack.APIError
	if !errors.As(err, &ae) || ae.Code != "invalid_auth" || !ae.Permanent() {
		t.Errorf("a wrong token: %v, want invalid_auth", err)
	}
	if calls := fake.Calls("chat.postMessage"); len(calls) != 3 || !calls[0].Limited || calls[2].Refused != "invalid_auth" {
		t.Errorf("calls %v", calls)
	}
}

// TestRetractedKudosNotPosted: a kudos retracted before its turn came is
// not posted; the next one is.
func TestRetractedKudosNotPosted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	retracted := w.give("ana", []string{"bo"}, event.Public)
	if _, err := w.cmd.RetractKudos(w.ctx, command.RetractKudos{Tenant: tenant, KudosID: retracted, By: "ana", ByRole: event.ByGiver,
		Reason: "sent to the wrong person"}); err != nil {
		t.Fatal(err)
	}
	w.give("ana", []string{"dan"}, event.Public)
	w.run()
	posts := w.waitCalls("chat.postMessage", 1)
	if len(posts) != 1 || posts[0].Str("channel") != "C0WEB" {
		t.Errorf("posts %v, want dan's only", posts)
	}
}

// TestSettingsChangeKeepsRelays: a change of the settings (here the
// emoji) is taken up without restarting the relays, so that a kudos in
// the middle of its posts (one channel done, the other asking to wait)
// is not posted again to the channel that has it.
func TestSettingsChangeKeepsRelays(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{relays: true})
	w.fake.RateLimit("chat.postMessage", "C0WEB", 1, 2)
	w.give("ana", []string{"bo", "cy"}, event.Public)
	if !testenv.Within(10*time.Second, func() bool {
		for _, c := range w.fake.Calls("chat.postMessage") {
			if c.Limited {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("calls %v, want C0WEB's post refused", w.fake.Calls(""))
	}
	w.configure(`{"reaction":"burrito","channels":{"ops":"C0OPS","web":"C0WEB"}}`)
	calls := w.waitCalls("chat.postMessage", 3)
	ops := 0
	for _, c := range calls {
		if c.Str("channel") == "C0OPS" {
			ops++
		}
	}
	if ops != 1 || len(calls) != 3 {
		t.Errorf("posts %v, want one to C0OPS and C0WEB's refused then taken", calls)
	}
}

// TestClientRetryAfterDate: a Retry-After given as an HTTP date is waited
// for as well, about as long as it says.
func TestClientRetryAfterDate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c := &slack.Client{BaseURL: srv.URL + "/api/"}
	err := c.Call(context.Background(), botToken, "chat.postMessage", map[string]any{"channel": "C0OPS", "text": "hello"}, nil)
	var ra *relay.RetryAfterError
	if !errors.As(err, &ra) || ra.After < 25*time.Second || ra.After > 30*time.Second {
		t.Fatalf("a 429 with an HTTP date 30s ahead: %v, want a RetryAfterError of about 30s", err)
	}
}
