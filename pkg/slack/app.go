package slack

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
)

// Config is what the Slack app runs on.
type Config struct {
	Settings *Settings
	Command  *command.Service
	Store    *eventstore.Store
	// API calls Slack's Web API; a *Client on DefaultAPIURL when nil.
	API API
	// Dead keeps the events the relays gave up on.
	Dead *relay.DeadLetters
	// Retries makes the relays' retry schedule (relay.Relay.Retries);
	// relay.DefaultRetries when nil.
	Retries func() backoff.BackOff
	// Restart is how long a relay that stopped on an error waits before
	// it runs again (a revoked token, say, until the settings change);
	// a minute when zero.
	Restart time.Duration
	// Now is the clock requests' timestamps are checked against; the
	// command service's when nil.
	Now func() time.Time
	// AnswerWithin is how long a request from Slack may take to answer;
	// DefaultAnswerWithin when zero.
	AnswerWithin time.Duration
	Log          *slog.Logger
	// TracerProvider traces the relays' deliveries of events that carry
	// a trace (relay.Relay.TracerProvider); nil traces nothing.
	TracerProvider trace.TracerProvider
}

// App is a running Slack integration of every tenant that configured
// one: the admin API's Configure, Settings and Remove, the inbound
// routes (Handler), and the outbound relays (Run). It is safe for
// concurrent use.
type App struct {
	settings *Settings
	cmd      *command.Service
	store    *eventstore.Store
	api      API
	dead     *relay.DeadLetters
	retries  func() backoff.BackOff
	restart  time.Duration
	now      func() time.Time
	within   time.Duration
	log      *slog.Logger
	sup      *relay.Supervisor

	mu      sync.Mutex
	current map[string]*atomic.Pointer[settings] // by tenant: what its relays' Send reads
}

// New returns the app of cfg.
func New(cfg Config) *App {
	a := &App{
		settings: cfg.Settings, cmd: cfg.Command, store: cfg.Store, api: cfg.API, dead: cfg.Dead,
		retries: cfg.Retries, restart: cfg.Restart, now: cfg.Now, within: cfg.AnswerWithin, log: cfg.Log,
		current: map[string]*atomic.Pointer[settings]{},
	}
	if a.within <= 0 {
		a.within = DefaultAnswerWithin
	}
	if a.api == nil {
		a.api = &Client{BaseURL: DefaultAPIURL}
	}
	if a.restart <= 0 {
		a.restart = time.Minute
	}
	if a.now == nil {
		a.now = cfg.Command.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "slack")
	a.sup = a.supervisor()
	a.sup.TracerProvider = cfg.TracerProvider
	return a
}

// Configure sets a tenant's Slack settings (Settings.Configure).
func (a *App) Configure(ctx context.Context, tenant string, body []byte) (any, error) {
	v, err := a.settings.Configure(ctx, tenant, body)
	if err == nil {
		a.sup.Poke()
	}
	return v, err
}

// Settings shows a tenant's Slack settings without their secrets.
func (a *App) Settings(ctx context.Context, tenant string) (any, error) {
	return a.settings.Settings(ctx, tenant)
}

// Remove forgets a tenant's Slack settings. The engines running its
// relays stop them and delete their consumers (the checkpoints):
// configured again, the relays start from then, not from where they
// stopped.
func (a *App) Remove(ctx context.Context, tenant string) error {
	err := a.settings.Remove(ctx, tenant)
	if err != nil {
		return err
	}
	// This engine's relays of the tenant send nothing more from now on,
	// before the supervisor stops them.
	a.mu.Lock()
	if cur := a.current[tenant]; cur != nil {
		cur.Store(nil)
		delete(a.current, tenant)
	}
	a.mu.Unlock()
	a.sup.Poke()
	return nil
}

// errNoMember is a Slack user who is no member of the tenant: no member
// has their Slack id, nor the e-mail address of their Slack profile.
type errNoMember struct{ user string }

func (e errNoMember) Error() string { return "slack: no member is Slack user " + e.user }

// member finds the tenant's member who is Slack user id: by the
// directory's slack_user_id, or else by the e-mail address of their
// Slack profile, and then records the link in the directory (an
// ordinary member upsert) so the next lookup needs no call to Slack.
func (a *App) member(ctx context.Context, st settings, user string) (command.Member, error) {
	dir := a.cmd.Directory()
	if m, ok := dir.MemberWhere(st.tenant, func(m command.Member) bool { return m.SlackUserID == user }); ok {
		return m, nil
	}
	email, err := bot{a.api, st.botToken}.email(ctx, user)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "user_not_found" {
		return command.Member{}, errNoMember{user}
	}
	if err != nil {
		return command.Member{}, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return command.Member{}, errNoMember{user}
	}
	m, ok := dir.MemberWhere(st.tenant, func(m command.Member) bool { return m.Email == email })
	if !ok || (m.SlackUserID != "" && m.SlackUserID != user) {
		// A member who is another Slack user is not this one, whatever
		// the profile's address says.
		return command.Member{}, errNoMember{user}
	}
	link := m.MemberUpserted
	link.SlackUserID = user
	if _, err := a.cmd.UpsertMember(ctx, command.UpsertMember{Tenant: st.tenant, MemberUpserted: link}); err != nil {
		// The member is found all the same; the link is made on the
		// next request.
		a.log.Warn("could not record a member's Slack id", "tenant", st.tenant, "member", m.Member, "err", err)
	} else {
		a.log.Info("member linked to their Slack user by e-mail address", "tenant", st.tenant, "member", m.Member)
	}
	m.MemberUpserted = link
	return m, nil
}
