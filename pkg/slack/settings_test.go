package slack_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestConfigure: bad settings are refused naming the field; the view
// shows no secret (whether the signing secret is set, the token's last
// four characters); a change keeps the secrets it leaves out and when
// the settings were created; the bucket holds the secrets sealed.
func TestConfigure(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{unconfigured: true})
	if _, err := w.app.Settings(w.ctx, tenant); !errors.Is(err, slack.ErrNotConfigured) || !errors.Is(err, api.ErrNotConfigured) {
		t.Fatalf("settings before: %v, want ErrNotConfigured", err)
	}
	bad := []struct{ name, body, field string }{
		{"not JSON", `{"signing_secret":`, "body"},
		{"unknown field", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","webhook":"x"}`, "webhook"},
		{"no signing secret", `{"bot_token":"` + botToken + `"}`, "signing_secret"},
		{"short signing secret", `{"signing_secret":"abc","bot_token":"` + botToken + `"}`, "signing_secret"},
		{"no bot token", `{"signing_secret":"` + signingSecret + `"}`, "bot_token"},
		{"a user token", `{"signing_secret":"` + signingSecret + `","bot_token":"xoxp-1234567890"}`, "bot_token"},
		{"bad reaction", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","reaction":"Taco Tuesday"}`, "reaction"},
		{"bad channel", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","channels":{"ops":"#ops"}}`, "channels.ops"},
		{"bad team", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","channels":{"Ops Team":"C0OPS"}}`, "channels"},
		{"bad default channel", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","default_channel":"general"}`, "default_channel"},
		{"bad workspace", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","team_id":"acme"}`, "team_id"},
		{"no workspace", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","channels":{"ops":"C0OPS"}}`, "team_id"},
		{"channels not an object", `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `","channels":["C0OPS"]}`, "channels"},
	}
	for _, tt := range bad {
		_, err := w.app.Configure(w.ctx, tenant, []byte(tt.body))
		var ve *command.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("%s: %v, want a ValidationError of %s", tt.name, err, tt.field)
		}
	}
	v, err := w.app.Configure(w.ctx, tenant, []byte(`{"signing_secret":"`+signingSecret+`","bot_token":"`+botToken+`",
		"reaction":":burrito:","channels":{"ops":"C0OPS"},"default_channel":"C0ALL","team_id":"T0ACME"}`))
	if err != nil {
		t.Fatal(err)
	}
	first := v.(slack.View)
	b, _ := json.Marshal(v)
	for _, secret := range []string{signingSecret, botToken, botToken[:20]} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the view shows a secret: %s", b)
		}
	}
	if !first.SigningSecretSet || first.BotToken != "…bqgy" || first.Reaction != "burrito" || first.Channels["ops"] != "C0OPS" ||
		first.URLs["events"] != "/v1/integrations/slack/acme/events" {
		t.Errorf("view %s", b)
	}
	v, err = w.app.Configure(w.ctx, tenant, []byte(`{"channels":{"web":"C0WEB"}}`))
	if err != nil {
		t.Fatal(err)
	}
	changed := v.(slack.View)
	if !changed.SigningSecretSet || changed.BotToken != "…bqgy" || !changed.CreatedAt.Equal(first.CreatedAt) ||
		changed.Reaction != "taco" || changed.Channels["ops"] != "" || changed.Channels["web"] != "C0WEB" || changed.TeamID != "T0ACME" {
		t.Errorf("after a change without secrets: %+v", changed)
	}
	kv, err := w.store.JetStream().KeyValue(w.ctx, slack.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(w.ctx, "tenant."+tenant)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(e.Value()), signingSecret) || strings.Contains(string(e.Value()), botToken[5:]) {
		t.Errorf("the bucket holds a secret in the clear")
	}
	// The settings still sign: a command is taken.
	if r := w.ok(w.send.Command("U0ANA", "<@U0BO> for writing the runbook that got us through the outage", "t1", nil)); !strings.HasPrefix(r.Text(), "You gave") {
		t.Errorf("a command after the change: %d %s", r.Status, r.Body)
	}
	if err := w.app.Remove(w.ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if err := w.app.Remove(w.ctx, tenant); !errors.Is(err, slack.ErrNotConfigured) {
		t.Errorf("removed twice: %v", err)
	}
	if r := w.ok(w.send.Command("U0ANA", "<@U0BO> for writing the runbook that got us through the outage", "t2", nil)); r.Status != 404 {
		t.Errorf("a command after removal: %d %s", r.Status, r.Body)
	}
}

// TestRevokedTokenHoldsPosts: while Slack refuses the bot token, the
// posts wait (the relay stops and tries again later) rather than being
// dead-lettered; with the token put right they go out.
func TestRevokedTokenHoldsPosts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{relays: true, settings: strings.Replace(defaultSettings, botToken, "xoxb-revoked-0000000000", 1)})
	w.give("ana", []string{"bo"}, event.Public)
	if !testenv.Within(10*time.Second, func() bool {
		calls := w.fake.Calls("chat.postMessage")
		return len(calls) >= 2 && calls[1].Refused == "invalid_auth"
	}) {
		t.Fatalf("calls %v, want the post tried again with the wrong token", w.fake.Calls(""))
	}
	w.configure(`{"bot_token":"` + botToken + `","channels":{"ops":"C0OPS"}}`)
	if !testenv.Within(10*time.Second, func() bool {
		calls := w.fake.Calls("chat.postMessage")
		return calls[len(calls)-1].Refused == ""
	}) {
		t.Fatalf("calls %v, want the post once the token is right", w.fake.Calls(""))
	}
	dead, err := w.dead.List(w.ctx, tenant, slack.PostsRelay(tenant))
	if err != nil || len(dead) != 0 {
		t.Errorf("dead letters %v, %v", dead, err)
	}
}

// TestSecretsSealedPerField: each secret is sealed for its own field, so
// that a signing secret and a bot token swapped in the bucket (or copied
// from one field into the other) do not open: the tenant's requests are
// then refused as unavailable, not verified with the wrong secret.
func TestSecretsSealedPerField(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	kv, err := w.store.JetStream().KeyValue(w.ctx, slack.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(w.ctx, "tenant."+tenant)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	rec["signing_secret"], rec["bot_token"] = rec["bot_token"], rec["bot_token"]
	b, _ := json.Marshal(rec)
	if _, err := kv.Put(w.ctx, "tenant."+tenant, b); err != nil {
		t.Fatal(err)
	}
	// The request is signed with the bot token, which is what a shared
	// holder would have opened as the signing secret.
	s := w.send
	s.Secret = botToken
	if r := w.ok(s.Command("U0ANA", "<@U0BO> for writing the runbook that got us through the outage", "t1", nil)); r.Status != http.StatusServiceUnavailable {
		t.Errorf("a command under swapped secrets: %d %s, want 503", r.Status, r.Body)
	}
}

// TestSettingsWithoutWorkspace: settings stored before team_id was
// required refuse every request naming a workspace until a PUT sets it.
func TestSettingsWithoutWorkspace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	kv, err := w.store.JetStream().KeyValue(w.ctx, slack.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(w.ctx, "tenant."+tenant)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	delete(rec, "team_id")
	b, _ := json.Marshal(rec)
	if _, err := kv.Put(w.ctx, "tenant."+tenant, b); err != nil {
		t.Fatal(err)
	}
	text := "<@U0BO> for writing the runbook that got us through the outage"
	if r := w.ok(w.send.Command("U0ANA", text, "t1", nil)); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "team_id") {
		t.Errorf("a command to settings naming no workspace: %d %s, want 403 naming team_id", r.Status, r.Body)
	}
	if _, err := w.app.Configure(w.ctx, tenant, []byte(`{"channels":{"ops":"C0OPS"}}`)); err == nil {
		t.Error("a change that leaves the workspace unnamed was taken")
	}
	w.configure(`{"team_id":"` + team + `"}`)
	if r := w.ok(w.send.Command("U0ANA", text, "t2", nil)); !strings.HasPrefix(r.Text(), "You gave") {
		t.Errorf("a command once team_id is set: %d %s", r.Status, r.Body)
	}
	if len(w.kudos()) != 1 {
		t.Errorf("%d kudos, want 1", len(w.kudos()))
	}
}
