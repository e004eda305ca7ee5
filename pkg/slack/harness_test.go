package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/slackfake"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
)

const (
	tenant        = "acme"
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	botToken      = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
	team          = "T0ACME"
)

// world is a Slack app of tenant acme on a real stream and write side,
// talking to a fake Slack; its members:
//
//	ana  U0ANA  team ops  (linked)
//	bo   U0BO   team ops  (linked)
//	cy   U0CY   team web  (not linked: found by e-mail)
//	dan  —      team web  (no Slack account)
type world struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc // ends ctx
	store  *eventstore.Store
	cmd    *command.Service
	app    *slack.App
	fake   *slackfake.Fake
	send   slackfake.Sender
	dead   *relay.DeadLetters
}

// options change a world before it starts.
type options struct {
	dupWindow time.Duration // the stream's duplicate window; the default when 0
	relays    bool          // run the relays
	settings  string        // the settings' JSON; defaultSettings when ""
	// unconfigured leaves the tenant without settings until the test
	// calls configure.
	unconfigured bool
	// answerWithin is the app's AnswerWithin; its default when 0.
	answerWithin time.Duration
}

const defaultSettings = `{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `",
	"channels":{"ops":"C0OPS","web":"C0WEB"},"team_id":"` + team + `"}`

func newWorld(t *testing.T, o options) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := testenv.NATS(t, "")
	store, err := eventstore.Open(ctx, testenv.Conn(t, srv), eventstore.Config{DuplicateWindow: o.dupWindow})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	dir := command.NewDirectory()
	go func() { _ = dir.Run(ctx, store, log) }()
	<-dir.Ready()
	cmd := command.NewService(store, dir, nil)
	sealer, err := seal.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	settings, err := slack.OpenSettings(ctx, store.JetStream(), 1, sealer)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := relay.OpenDeadLetters(ctx, store.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	fake := slackfake.New(botToken)
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	fake.AddUser("U0ANA", "ana@example.com")
	fake.AddUser("U0BO", "bo@example.com")
	fake.AddUser("U0CY", "Cy@Example.com")
	fake.AddUser("U0ZED", "zed@elsewhere.example")
	app := slack.New(slack.Config{
		Settings: settings, Command: cmd, Store: store, API: &slack.Client{BaseURL: fakeSrv.URL + "/api/"}, Dead: dead,
		Retries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 50*time.Millisecond, 5*time.Second
			return b
		},
		Restart: 100 * time.Millisecond, AnswerWithin: o.answerWithin, Log: log,
	})
	appSrv := httptest.NewServer(app.Handler())
	t.Cleanup(appSrv.Close)
	w := &world{t: t, ctx: ctx, store: store, cmd: cmd, app: app, fake: fake, dead: dead,
		send: slackfake.Sender{URL: appSrv.URL + slack.RoutePrefix + tenant, Secret: signingSecret, Team: team}}
	for _, m := range []event.MemberUpserted{
		{Member: "ana", Name: "Ana", Team: "ops", Email: "ana@example.com", SlackUserID: "U0ANA"},
		{Member: "bo", Name: "Bo", Team: "ops", Email: "bo@example.com", SlackUserID: "U0BO"},
		{Member: "cy", Name: "Cy", Team: "web", Email: "cy@example.com"},
		{Member: "dan", Name: "Dan", Team: "web", Email: "dan@example.com"},
	} {
		m.TimeZone, m.Active = "UTC", true
		if _, err := cmd.UpsertMember(ctx, command.UpsertMember{Tenant: tenant, MemberUpserted: m}); err != nil {
			t.Fatal(err)
		}
	}
	if !o.unconfigured {
		body := o.settings
		if body == "" {
			body = defaultSettings
		}
		w.configure(body)
	}
	w.cancel = cancel
	if o.relays {
		w.run()
	}
	return w
}

// run runs the app's relays until the test ends.
func (w *world) run() {
	done := make(chan error, 1)
	go func() { done <- w.app.Run(w.ctx) }()
	w.t.Cleanup(func() {
		w.cancel()
		if err := <-done; err != nil {
			w.t.Errorf("Run = %v", err)
		}
	})
}

// configure sets the tenant's settings.
func (w *world) configure(body string) {
	w.t.Helper()
	if _, err := w.app.Configure(w.ctx, tenant, []byte(body)); err != nil {
		w.t.Fatalf("configure: %v", err)
	}
}

// events returns the tenant's stored events of type typ, decoded.
func (w *world) events(typ string) []eventstore.Recorded {
	w.t.Helper()
	recs, _, err := w.store.Load(w.ctx, event.TenantFilter(tenant), 0)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []eventstore.Recorded
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// kudos returns the tenant's kudos given.
func (w *world) kudos() []event.KudosGiven {
	w.t.Helper()
	var out []event.KudosGiven
	for _, r := range w.events(event.TypeKudosGiven) {
		d, err := r.Decode()
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, d.(event.KudosGiven))
	}
	return out
}

// give gives kudos through the command service, as any other channel.
func (w *world) give(from string, to []string, visibility string) string {
	w.t.Helper()
	res, err := w.cmd.GiveKudos(w.ctx, command.GiveKudos{Tenant: tenant, From: from, To: to, Points: 1,
		Message: "for writing the runbook that got us through the outage", Visibility: visibility, Channel: event.ChannelAPI})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Events[0].ID
}

// waitCalls waits until the fake has n calls of method, and returns them.
func (w *world) waitCalls(method string, n int) []slackfake.Call {
	w.t.Helper()
	if !testenv.Within(10*time.Second, func() bool { return len(w.fake.Calls(method)) >= n }) {
		w.t.Fatalf("%d calls of %s, want %d: %v", len(w.fake.Calls(method)), method, n, w.fake.Calls(""))
	}
	return w.fake.Calls(method)
}

// text is a call's argument as JSON, to search.
func text(c slackfake.Call) string {
	b, _ := json.Marshal(c.Args)
	return string(b)
}

// ok is the answer of a request that reached the app; a request that did
// not fails the test.
func (w *world) ok(r slackfake.Response, err error) slackfake.Response {
	w.t.Helper()
	if err != nil {
		w.t.Errorf("request: %v", err)
	}
	return r
}

var _ = fmt.Sprintf
var _ jetstream.KeyValue

// waitPast waits, with a deadline, until d has passed since at: for a
// window of the server's (the stream's duplicate window) that nothing
// shows the end of.
func waitPast(at time.Time, d time.Duration) bool {
	return testenv.Within(10*d+time.Second, func() bool { return time.Since(at) > d+50*time.Millisecond })
}
