package teams_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/plaudit/plaudit/internal/teamsfake"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/teams"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/webhook"
)

const acme = "acme"

// The Entra object ids of acme's members in Teams.
const (
	anaAAD = "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e01"
	boAAD  = "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e02"
	zedAAD = "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e09"
)

// specific passes the default message rules.
const specific = "for staying on the outage bridge until it closed"

// world is one test's Teams integration: an embedded server and stream,
// the write side on it, the integration with its relays running, its
// messages route served over HTTP, and a fake Teams. Tenant acme has Teams
// configured with token and the fake's workflows "kudos" and "nudges";
// its members are ana (Ana Alves, linked to Teams), bo (Bo Berg, linked),
// cy (Cy Chen, an e-mail address only), dee and dee2 (both Dee Doe), and
// zed (Zed Zane, inactive, linked).
type world struct {
	t     *testing.T
	nats  *natsembed.Server
	store *eventstore.Store
	svc   *command.Service
	teams *teams.Teams
	fake  *teamsfake.Server
	// url is the base URL of the engine side, where the messages route is.
	url   string
	token string
}

// newWorld starts a world on a stream whose duplicate window is window
// (JetStream's default when 0).
func newWorld(t *testing.T, window time.Duration) *world {
	t.Helper()
	return newWorldWith(t, window, nil)
}

// newWorldWith starts a world whose integration's Config change makes
// first.
func newWorldWith(t *testing.T, window time.Duration, change func(*teams.Config)) *world {
	t.Helper()
	srv := testenv.NATS(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, testenv.Conn(t, srv), eventstore.Config{DuplicateWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	dir := command.NewDirectory()
	runDirectory(t, dir, st)
	w := &world{t: t, nats: srv, store: st, svc: command.NewService(st, dir, nil)}
	sealer, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	dead, err := relay.OpenDeadLetters(ctx, st.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := teams.Config{
		JetStream: st.JetStream(), Stream: st.Stream(), Command: w.svc, Sealer: sealer, Dead: dead,
		Policy: webhook.Policy{Trusted: []string{"127.0.0.1"}},
		Retries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 50*time.Millisecond, 10*time.Second
			return b
		},
		Log: slog.New(slog.DiscardHandler),
	}
	if change != nil {
		change(&cfg)
	}
	w.teams, err = teams.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.teams.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("teams.Run: %v", err)
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc(teams.MessagesRoute, w.teams.ServeMessages)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	w.url = hs.URL
	w.fake, err = teamsfake.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.fake.Close() })

	for _, m := range []event.MemberUpserted{
		{Member: "ana", Name: "Ana Alves", Email: "ana@acme.example", TeamsUserID: anaAAD},
		{Member: "bo", Name: "Bo Berg", TeamsUserID: boAAD},
		{Member: "cy", Name: "Cy Chen", Email: "cy@acme.example"},
		{Member: "dee", Name: "Dee Doe"},
		{Member: "dee2", Name: "Dee Doe"},
		{Member: "zed", Name: "Zed Zane", TeamsUserID: zedAAD},
	} {
		m.Team, m.TimeZone, m.Active = "support", "Europe/Lisbon", m.Member != "zed"
		if _, err := w.svc.UpsertMember(ctx, command.UpsertMember{Tenant: acme, MemberUpserted: m}); err != nil {
			t.Fatalf("member %s: %v", m.Member, err)
		}
	}
	w.token = base64.StdEncoding.EncodeToString([]byte("acme's Teams security token, 32b"))
	w.configure(acme, map[string]any{
		"security_token": w.token, "kudos_url": w.fake.WorkflowURL("kudos"), "nudges_url": w.fake.WorkflowURL("nudges"),
	})
	return w
}

// runDirectory tails the stream into dir until the test ends, and waits
// until it has caught up.
func runDirectory(t *testing.T, dir *command.Directory, st *eventstore.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dir.Run(ctx, st, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("directory: %v", err)
		}
	})
	select {
	case <-dir.Ready():
	case err := <-done:
		t.Fatalf("directory stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("directory not ready after 10s")
	}
}

func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// configure sets tenant's Teams settings and fails the test if it cannot.
func (w *world) configure(tenant string, body map[string]any) teams.View {
	w.t.Helper()
	b, _ := json.Marshal(body)
	v, err := w.teams.Configure(w.ctx(), tenant, b)
	if err != nil {
		w.t.Fatalf("configure %s: %v", tenant, err)
	}
	return v.(teams.View)
}

// activity is what Teams posts when ana (or from) posts text.
func activity(from, text string) teamsfake.Activity {
	return teamsfake.NewActivity(from, "Someone", text)
}

// send posts a to tenant's messages route, signed with token.
func (w *world) send(tenant, token string, a teamsfake.Activity) teamsfake.Reply {
	w.t.Helper()
	body, err := json.Marshal(a)
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := teamsfake.Send(w.ctx(), w.url, tenant, token, body)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// given are the kudos giver gave, as stored.
func (w *world) given(giver string) []event.KudosGiven {
	w.t.Helper()
	recs, _, err := w.store.Load(w.ctx(), event.KudosSubject(acme, giver, "given"), 0)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []event.KudosGiven
	for _, r := range recs {
		d, err := r.Decode()
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, d.(event.KudosGiven))
	}
	return out
}

// give gives kudos through the write side.
func (w *world) give(from string, points int, visibility string, to ...string) string {
	w.t.Helper()
	res, err := w.svc.GiveKudos(w.ctx(), command.GiveKudos{
		Tenant: acme, From: from, To: to, Message: "Thanks for untangling the refund queue before the weekend",
		Values: []string{"ownership"}, Points: points, Visibility: visibility, Channel: event.ChannelAPI,
	})
	if err != nil {
		w.t.Fatalf("give: %v", err)
	}
	return res.Events[0].ID
}

// posts waits until the fake's workflow took n cards and returns them.
func (w *world) posts(workflow string, n int) []teamsfake.Post {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	got, err := w.fake.WaitPosts(ctx, workflow, n)
	if err != nil {
		w.t.Fatalf("workflow %s took %d cards, want %d: %v (refused: %v)", workflow, len(got), n, err, w.fake.Refusals())
	}
	return got
}

func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Errorf("%s %q does not say %q", what, got, s)
		}
	}
}

// setValues makes values acme's company values.
func (w *world) setValues(values ...string) {
	w.t.Helper()
	p := event.DefaultPolicy()
	p.Values = values
	if _, err := w.svc.SetPolicy(w.ctx(), command.SetPolicy{Tenant: acme, PolicySet: p}); err != nil {
		w.t.Fatal(err)
	}
}
