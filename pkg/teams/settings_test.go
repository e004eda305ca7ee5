package teams_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/teams"
)

// TestConfigureRefuses: bad settings are refused naming the field, as a
// *command.ValidationError (the API's 422), and change nothing: workflow
// URLs to private, loopback, link-local or metadata addresses, or over
// plain http to a host the operator did not trust, among them.
func TestConfigureRefuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	token := base64.StdEncoding.EncodeToString([]byte("another tenant's token of 32 b.."))
	tests := []struct {
		name, tenant, body, field string
	}{
		{"a private address", acme, `{"kudos_url":"https://10.0.0.7/workflows/x"}`, "kudos_url"},
		{"the metadata address", acme, `{"nudges_url":"https://169.254.169.254/latest/meta-data"}`, "nudges_url"},
		{"loopback, not trusted by name", acme, `{"kudos_url":"https://[::1]/workflows/x"}`, "kudos_url"},
		{"plain http to an untrusted host", acme, `{"kudos_url":"http://prod-00.westeurope.logic.azure.com/workflows/x"}`, "kudos_url"},
		{"not a URL", acme, `{"kudos_url":"westeurope.logic.azure.com"}`, "kudos_url"},
		{"credentials in the URL", acme, `{"kudos_url":"https://user:pw@prod-00.westeurope.logic.azure.com/x"}`, "kudos_url"},
		{"a URL of another type", acme, `{"kudos_url":42}`, "kudos_url"},
		{"a token that is not base64", acme, `{"security_token":"not base64!"}`, "security_token"},
		{"a short token", acme, `{"security_token":"c2hvcnQ="}`, "security_token"},
		{"an unknown field", acme, `{"signing_secret":"x"}`, "signing_secret"},
		{"not JSON", acme, `{"kudos_url":`, "body"},
		{"no body", acme, ``, "body"},
		{"two values", acme, `{} {}`, "body"},
		{"first settings without a token", "globex", `{"kudos_url":"https://prod-00.westeurope.logic.azure.com/x"}`, "security_token"},
		{"a tenant id that is none", "Globex!", `{"security_token":"` + token + `"}`, "tenant"},
	}
	before, err := w.teams.Settings(w.ctx(), acme)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.teams.Configure(w.ctx(), tt.tenant, []byte(tt.body))
			var ve *command.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Fatalf("Configure = %v, want a validation error of %s", err, tt.field)
			}
		})
	}
	if after, _ := w.teams.Settings(w.ctx(), acme); after != before {
		t.Errorf("settings changed: %+v, were %+v", after, before)
	}
	if _, err := w.teams.Settings(w.ctx(), "globex"); !errors.Is(err, teams.ErrNotConfigured) {
		t.Errorf("globex: %v", err)
	}
}

// TestSettingsKeepSecrets: the view shows no secret and cuts the URLs to
// scheme and host; the bucket holds neither the token nor a URL in the
// clear; Remove leaves the tenant not configured, as the admin API
// knows it.
func TestSettingsKeepSecrets(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	const kudos = "https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRETSIG"
	v := w.configure("globex", map[string]any{"security_token": w.token, "kudos_url": kudos})
	if v.KudosURL != "https://prod-00.westeurope.logic.azure.com:443" || v.NudgesURL != "" || !v.SecurityTokenSet ||
		v.MessagesPath != "/v1/integrations/teams/globex/messages" || v.Tenant != "globex" || v.Integration != "teams" {
		t.Errorf("view %+v", v)
	}
	got, err := w.teams.Settings(w.ctx(), "globex")
	if err != nil || got.(teams.View) != v {
		t.Errorf("Settings = %+v, %v; Configure said %+v", got, err, v)
	}
	kv, err := w.store.JetStream().KeyValue(w.ctx(), teams.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(w.ctx(), "tenant.globex")
	if err != nil {
		t.Fatal(err)
	}
	raw := string(e.Value())
	for _, secret := range []string{w.token, "SECRETSIG", "logic.azure.com", base64.StdEncoding.EncodeToString([]byte(kudos))} {
		if strings.Contains(raw, secret) {
			t.Errorf("the bucket holds %q in the clear: %s", secret, raw)
		}
	}
	// A field left out keeps its value; an empty URL removes it.
	v = w.configure("globex", map[string]any{"nudges_url": "https://prod-01.westeurope.logic.azure.com/x"})
	if v.KudosURL == "" || v.NudgesURL != "https://prod-01.westeurope.logic.azure.com" {
		t.Errorf("after adding nudges_url: %+v", v)
	}
	v = w.configure("globex", map[string]any{"kudos_url": ""})
	if v.KudosURL != "" || v.NudgesURL == "" {
		t.Errorf("after removing kudos_url: %+v", v)
	}
	if err := w.teams.Remove(w.ctx(), "globex"); err != nil {
		t.Fatal(err)
	}
	_, err = w.teams.Settings(w.ctx(), "globex")
	if !errors.Is(err, teams.ErrNotConfigured) || !errors.Is(err, api.ErrNotConfigured) {
		t.Errorf("Settings after Remove = %v", err)
	}
	if err := w.teams.Remove(w.ctx(), "globex"); !errors.Is(err, teams.ErrNotConfigured) {
		t.Errorf("Remove again = %v", err)
	}
}
