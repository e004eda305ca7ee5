package teams_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/internal/teamsfake"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/teams"
	"github.com/plaudit/plaudit/projections/feed"
)

var _ engine.Integration = (*teams.Teams)(nil)

// teamsIntegration is Teams as plauditd runs it (cmd/plauditd).
func teamsIntegration(d engine.IntegrationDeps) (engine.Integration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return teams.Open(ctx, teams.Config{
		JetStream: d.Store.JetStream(), Replicas: d.Replicas, Stream: d.Store.Stream(),
		Command: d.Command, Sealer: d.Sealer, Policy: d.Outbound, Dead: d.Dead, Retries: d.Retries, Log: d.Logger,
	})
}

// TestThroughTheEngine: Teams set up through the admin API of a running
// engine; a message posted to its outgoing webhook gives an ordinary
// kudos_given event (channel chat) that the feed shows, answered in
// place; its card reaches the workflow; and the settings come and go
// through the API.
func TestThroughTheEngine(t *testing.T) {
	t.Parallel()
	fake, err := teamsfake.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	e := enginetest.Start(t, engine.Config{
		Modules:          []projector.Module{feed.Module()},
		Integrations:     map[string]engine.NewIntegration{teams.Name: teamsIntegration},
		WebhookAllowHTTP: []string{"127.0.0.1"},
		RelayRetries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 50*time.Millisecond, 5*time.Second
			return b
		},
	})
	admin := enginetest.BootstrapKey
	const tenant = auth.BootstrapTenant
	for _, m := range []map[string]any{
		{"id": "ana", "name": "Ana Alves", "teams_user_id": anaAAD},
		{"id": "bo", "name": "Bo Berg", "teams_user_id": boAAD},
		{"id": "cy", "name": "Cy Chen", "email": "cy@example.com"},
	} {
		id := m["id"].(string)
		delete(m, "id")
		m["team"], m["time_zone"] = "support", "Europe/Lisbon"
		e.Do(t, "PUT", "/v1/members/"+id, admin, m).Want(t, http.StatusCreated)
	}

	// Settings through the admin API: refused naming the field, shown
	// without secrets, member keys may not.
	token := base64.StdEncoding.EncodeToString([]byte("the default tenant's Teams token"))
	e.Do(t, "PUT", "/v1/integrations/teams", admin, map[string]any{
		"security_token": token, "kudos_url": "https://192.168.1.20/workflows/kudos",
	}).WantProblem(t, http.StatusUnprocessableEntity, "kudos_url")
	e.Do(t, "GET", "/v1/integrations/teams", admin, nil).WantProblem(t, http.StatusNotFound, "id")
	r := e.Do(t, "PUT", "/v1/integrations/teams", admin, map[string]any{
		"security_token": token, "kudos_url": fake.WorkflowURL("kudos"),
	}).Want(t, http.StatusOK)
	if strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), "/workflows/") ||
		r.Str("messages_path") != teams.MessagesPath(tenant) {
		t.Errorf("settings shown as %s", r.Body)
	}
	member := e.Key(t, tenant, auth.Member, "ana")
	e.Do(t, "GET", "/v1/integrations/teams", member, nil).WantProblem(t, http.StatusForbidden, "Authorization")

	// A message from Teams.
	body, err := json.Marshal(teamsfake.NewActivity(anaAAD, "Ana Alves", example))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := teamsfake.Send(t.Context(), e.URL, tenant, token, body)
	if err != nil || reply.Status != http.StatusOK {
		t.Fatalf("send: %v %d %s", err, reply.Status, reply.Body)
	}
	wantContains(t, "answer", reply.Text, "Given 2 points each to Bo Berg and Cy Chen (#ownership)", "1 of 5 points left today")
	e.CaughtUp(t, 10*time.Second)
	var page apiv1.FeedPage
	e.Do(t, "GET", "/v1/feed", admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	i := slices.IndexFunc(page.Items, func(it apiv1.FeedItem) bool { return it.Giver == "ana" })
	if i < 0 {
		t.Fatalf("the feed has no kudos of ana: %+v", page)
	}
	if it := page.Items[i]; it.Channel != event.ChannelChat || it.Visibility != event.Public || it.Points != 2 ||
		!slices.Equal(it.Recipients, []string{"bo", "cy"}) || it.Message != specific || !slices.Equal(it.Values, []string{"ownership"}) {
		t.Errorf("feed item %+v", it)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	posts, err := fake.WaitPosts(ctx, "kudos", 1)
	if err != nil {
		t.Fatalf("no kudos card: %v (refused: %v)", err, fake.Refusals())
	}
	wantContains(t, "card", posts[0].Card.Text(), "<at>Ana Alves</at> recognised <at>Bo Berg</at> and <at>Cy Chen</at>", specific)

	// A refusal, answered in place.
	again := teamsfake.NewActivity(anaAAD, "Ana Alves", "<at>Plaudit</at> <at>Bo Berg</at> +3 "+specific)
	again.ID += "7"
	body, _ = json.Marshal(again)
	reply, err = teamsfake.Send(t.Context(), e.URL, tenant, token, body)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "refusal", reply.Text, "Not given: allowance: 3 points requested, 1 of 5 left this period")

	// Removed: the route answers 404, as for a tenant that never had it.
	e.Do(t, "DELETE", "/v1/integrations/teams", admin, nil).Want(t, http.StatusOK)
	e.Do(t, "GET", "/v1/integrations/teams", admin, nil).WantProblem(t, http.StatusNotFound, "id")
	reply, err = teamsfake.Send(t.Context(), e.URL, tenant, token, body)
	if err != nil || reply.Status != http.StatusNotFound {
		t.Errorf("after DELETE: %v %d %s", err, reply.Status, reply.Body)
	}
}
