package slack_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/internal/slackfake"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/feed"
)

// TestEngineSlackApp runs the Slack app in a real engine, configured
// through the admin API: a /kudos from Slack lands as an ordinary
// kudos_given and shows in the feed, and is posted to the team's
// channel; a nudge goes out as a direct message whose button
// acknowledges it; removed, the tenant's Slack routes are not found.
func TestEngineSlackApp(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(botToken)
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	e := enginetest.Start(t, engine.Config{
		Modules:      []projector.Module{feed.Module()},
		Integrations: map[string]engine.NewIntegration{slack.Name: slack.Integration(fakeSrv.URL + "/api/")},
		RelayRetries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxElapsedTime = 10*time.Millisecond, 5*time.Second
			return b
		},
	})
	admin := enginetest.BootstrapKey
	for id, m := range map[string]map[string]any{
		"ana": {"name": "Ana", "team": "ops", "time_zone": "UTC", "email": "ana@example.com", "slack_user_id": "U0ANA"},
		"bo":  {"name": "Bo", "team": "ops", "time_zone": "UTC", "email": "bo@example.com", "slack_user_id": "U0BO"},
	} {
		e.Do(t, "PUT", "/v1/members/"+id, admin, m).Want(t, http.StatusCreated)
	}
	member := e.Key(t, auth.BootstrapTenant, auth.Member, "ana")
	settings := map[string]any{"signing_secret": signingSecret, "bot_token": botToken, "channels": map[string]string{"ops": "C0OPS"}, "team_id": team}
	e.Do(t, "PUT", "/v1/integrations/slack", member, settings).WantProblem(t, http.StatusForbidden, "Authorization")
	r := e.Do(t, "PUT", "/v1/integrations/slack", admin, settings).Want(t, http.StatusOK)
	if strings.Contains(string(r.Body), signingSecret) || strings.Contains(string(r.Body), botToken) || r.JSON["signing_secret_set"] != true {
		t.Fatalf("configured: %s", r.Body)
	}
	e.Do(t, "GET", "/v1/integrations/slack", admin, nil).Want(t, http.StatusOK)

	send := slackfake.Sender{URL: e.URL + slack.RoutePrefix + auth.BootstrapTenant, Secret: signingSecret, Team: team}
	answer, err := send.Command("U0ANA", "<@U0BO|bo> +2 #ownership for staying on the outage bridge until it closed", "trig-1", nil)
	if err != nil || answer.Status != http.StatusOK || !strings.Contains(answer.Text(), "You gave <@U0BO> 2 points for #ownership. You have 3 of 5 points left today") {
		t.Fatalf("/kudos: %+v, %v", answer, err)
	}
	var items []struct{ Giver, Channel, Message string }
	if !testenv.Within(10*time.Second, func() bool {
		var page struct {
			Items []struct{ Giver, Channel, Message string }
		}
		e.Do(t, "GET", "/v1/feed", admin, nil).Want(t, http.StatusOK).Decode(t, &page)
		items = page.Items
		return len(items) > 0
	}) {
		t.Fatal("the kudos did not show in the feed")
	}
	if items[0].Giver != "ana" || items[0].Channel != event.ChannelChat || items[0].Message != "for staying on the outage bridge until it closed" {
		t.Errorf("feed %+v", items)
	}
	if !testenv.Within(10*time.Second, func() bool { return len(fake.Calls("chat.postMessage")) == 1 }) {
		t.Fatalf("calls %v, want the kudos posted", fake.Calls(""))
	}
	if c := fake.Calls("chat.postMessage")[0]; c.Str("channel") != "C0OPS" {
		t.Errorf("posted %v", c)
	}

	ctx := context.Background()
	if _, err := e.Command.SetPreferences(ctx, command.SetPreferences{Tenant: auth.BootstrapTenant, PreferencesSet: event.PreferencesSet{
		Member: "bo", Nudges: event.NudgeChoices{Wellness: event.ChoiceOn}, QuietHours: &event.QuietHours{Start: "00:00", End: "00:00"}}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.Command.IssueNudge(ctx, command.IssueNudge{Tenant: auth.BootstrapTenant, Member: "bo", Kind: event.NudgeWellness,
		Reason: event.ReasonNoBreak, Message: "You have handled 8 conversations in a row without a break. Time for a pause?", CauseKey: "run-1"})
	if err != nil || out.Skipped != "" {
		t.Fatalf("nudge: %+v, %v", out, err)
	}
	if !testenv.Within(10*time.Second, func() bool { return len(fake.Calls("chat.postMessage")) == 2 }) {
		t.Fatalf("calls %v, want the nudge sent", fake.Calls(""))
	}
	dm := fake.Calls("chat.postMessage")[1]
	if dm.Str("channel") != "DU0BO" || !strings.Contains(text(dm), out.Events[0].ID) {
		t.Errorf("direct message %v", dm)
	}
	if r, err := send.Click("U0BO", slack.ActionAcknowledge, out.Events[0].ID, "DU0BO", "1700000000.000002"); err != nil || r.Status != http.StatusOK {
		t.Fatalf("click: %+v, %v", r, err)
	}
	if seq, err := e.Store.LastSeq(ctx, event.NudgeSubject(auth.BootstrapTenant, "bo", "acknowledged")); err != nil || seq == 0 {
		t.Errorf("bo's nudge not acknowledged: %d, %v", seq, err)
	}
	if u := fake.Calls("chat.update"); len(u) != 1 || u[0].Str("channel") != "DU0BO" {
		t.Errorf("updates %v", u)
	}

	e.Do(t, "DELETE", "/v1/integrations/slack", admin, nil).Want(t, http.StatusOK)
	e.Do(t, "GET", "/v1/integrations/slack", admin, nil).WantProblem(t, http.StatusNotFound, "id")
	if r, err := send.Command("U0ANA", "<@U0BO> for writing the runbook that got us through it", "trig-2", nil); err != nil || r.Status != http.StatusNotFound {
		t.Errorf("/kudos after removal: %+v, %v", r, err)
	}
}
