package rules_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/rules"
)

// world is an engine running the rules engine with the density and
// allowance projections it asks, on a clock the test sets.
type world struct {
	*enginetest.Engine
	clock     *enginetest.Clock
	rules     rules.Projection
	modules   []projector.Module
	admin     string
	publisher string
}

func newWorld(t *testing.T, at time.Time) *world {
	t.Helper()
	return startWorld(t, at, engine.Config{}, density.Module(), allowance.Module(), rules.Module())
}

// startWorld is a world whose engine, started with cfg, runs mods on a
// clock set to at; it has the rules engine's projection if mods has it.
func startWorld(t *testing.T, at time.Time, cfg engine.Config, mods ...projector.Module) *world {
	t.Helper()
	c := enginetest.NewClock(at)
	cfg.Modules, cfg.Now = mods, c.Now
	e := enginetest.Start(t, cfg)
	w := &world{Engine: e, clock: c, modules: mods,
		admin: e.Key(t, "acme", auth.Admin, ""), publisher: e.Key(t, "acme", auth.Publisher, "")}
	for _, m := range mods {
		if p, ok := m.Projection.(rules.Projection); ok {
			w.rules = p
		}
	}
	return w
}

// startAlone is "plauditd projector rules" beside an engine: a world whose
// engine runs the density and allowance projections and serves its NATS,
// and a second engine, replica r2 on the same clock, that runs only the
// rules engine against that NATS.
func startAlone(t *testing.T, at time.Time) (*world, *enginetest.Engine) {
	t.Helper()
	w := startWorld(t, at, engine.Config{NATSListen: testenv.FreeAddr(t)}, density.Module(), allowance.Module())
	alone := enginetest.Start(t, engine.Config{Only: rules.Name, NATSURL: w.NATSURL(), NATSKeysDir: w.NATSKeysDir(), Replica: "r2",
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Now: w.clock.Now, Modules: []projector.Module{rules.Module()}})
	return w, alone
}

// startRules starts an engine running only the rules engine, with acme's
// members seeded, and returns it and a key of acme's admin.
func startRules(tb testing.TB, members ...enginetest.Member) (*enginetest.Engine, string) {
	tb.Helper()
	e := enginetest.Start(tb, engine.Config{Modules: []projector.Module{rules.Module()}})
	admin := e.Key(tb, "acme", auth.Admin, "")
	e.Seed(tb, admin, members...)
	return e, admin
}

// seedLisbon adds the members ids to team, in Lisbon (UTC in winter, as
// the scenarios are worked out), managed by manager unless it is empty.
func (w *world) seedLisbon(t *testing.T, team, manager string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		w.Seed(t, w.admin, enginetest.Member{ID: id, Team: team, TimeZone: "Europe/Lisbon", Manager: manager})
	}
}

// policy sets the tenant's policy (rules and nudges over the defaults).
func (w *world) policy(t *testing.T, body string) {
	t.Helper()
	w.Do(t, "PUT", "/v1/policy", w.admin, body).Want(t, http.StatusCreated)
}

// prefs sets a member's preferences, as an admin.
func (w *world) prefs(t *testing.T, member, body string) {
	t.Helper()
	w.Do(t, "PUT", "/v1/members/"+member+"/preferences", w.admin, body).Want(t, http.StatusCreated)
}

// rating is a rating of agent's interaction that ended at ended and took
// handle, as a platform publishes it.
func rating(interaction, agent string, score int, scale string, handle time.Duration, ended time.Time) map[string]any {
	return map[string]any{"platform": "cxone", "interaction_id": interaction, "agent": agent, "score": score, "scale": scale,
		"channel": "voice", "handle_time_seconds": int(handle / time.Second), "occurred_at": ended.UTC().Format(time.RFC3339)}
}

// rate publishes a rating and returns its event id, once the projections
// have applied it (and so the rules engine has acted on it).
func (w *world) rate(t *testing.T, body map[string]any) string {
	t.Helper()
	id := w.Do(t, "POST", "/v1/ratings", w.publisher, body).Want(t, http.StatusCreated).Str("id")
	w.settle(t)
	return id
}

// settle waits until every projection has applied the stream, and then
// what the rules engine appended while applying it.
func (w *world) settle(t *testing.T) {
	t.Helper()
	w.CaughtUp(t, 10*time.Second)
	w.CaughtUp(t, 10*time.Second)
}

// give gives kudos from one member to another, as an admin.
func (w *world) give(t *testing.T, from, to string) {
	t.Helper()
	w.Do(t, "POST", "/v1/kudos", w.admin, map[string]any{"from": from, "to": []string{to},
		"message": "Thank you for untangling the rota for the holiday weekend."}).Want(t, http.StatusCreated)
	w.settle(t)
}

// queries are the engine's queries, as the rules engine's timers ask them.
func (w *world) queries() map[string]projector.QueryFunc {
	out := map[string]projector.QueryFunc{}
	for _, m := range w.modules {
		if m.Queries != nil {
			for k, q := range m.Queries(w.Runners[m.Projection.Name()], w.clock.Now) {
				out[k] = q
			}
		}
	}
	return out
}

// sweep runs the gap and giving rules at the clock's time, as the timers
// do every 15 minutes of it, and waits for the projections.
func (w *world) sweep(t *testing.T) {
	t.Helper()
	w.settle(t)
	if err := w.rules.Sweep(context.Background(), w.queries(), w.clock.Now()); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	w.settle(t)
}

// nudge is a nudge as the stream tells it.
type nudge struct {
	ID string
	event.NudgeIssued
	Delivered    bool
	DeliveredAt  time.Time // the delivery event's time
	Acknowledged bool
	Dismissed    bool
	Cancelled    string // why, once cancelled
}

// streamEvents reads the whole stream.
func (w *world) streamEvents(t *testing.T, fn func(env event.Envelope, d event.Data)) {
	t.Helper()
	streamEvents(t, w.Engine, fn)
}

// streamEvents reads e's whole stream.
func streamEvents(t *testing.T, e *enginetest.Engine, fn func(env event.Envelope, d event.Data)) {
	t.Helper()
	err := e.Store.Scan(context.Background(), []string{event.StreamSubjects}, 0, e.StreamLastSeq(t), func(m jetstream.Msg, _ uint64) error {
		env, d, err := event.Read(m.Data())
		if err != nil {
			return err
		}
		fn(env, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nudges lists every nudge issued, in stream order, with what followed.
func (w *world) nudges(t *testing.T) []nudge {
	t.Helper()
	var out []nudge
	byID := map[string]int{}
	w.streamEvents(t, func(env event.Envelope, d event.Data) {
		switch e := d.(type) {
		case event.NudgeIssued:
			if _, dup := byID[env.ID]; dup {
				t.Errorf("nudge %s issued twice", env.ID)
			}
			byID[env.ID] = len(out)
			out = append(out, nudge{ID: env.ID, NudgeIssued: e})
		case event.NudgeDelivered:
			i, ok := byID[e.NudgeID]
			if !ok || out[i].Delivered {
				t.Errorf("nudge %s delivered without its issue, or twice", e.NudgeID)
				return
			}
			out[i].Delivered, out[i].DeliveredAt = true, env.Time
		case event.NudgeAcknowledged:
			out[byID[e.NudgeID]].Acknowledged = true
		case event.NudgeDismissed:
			out[byID[e.NudgeID]].Dismissed = true
		case event.NudgeCancelled:
			i := byID[e.NudgeID]
			if out[i].Delivered || out[i].Cancelled != "" {
				t.Errorf("nudge %s cancelled after it was delivered or cancelled", e.NudgeID)
			}
			out[i].Cancelled = e.Reason
		}
	})
	return out
}

// wantNudges lists the nudges (nudges) and fails the test unless there are
// n; what says when.
func (w *world) wantNudges(t *testing.T, what string, n int) []nudge {
	t.Helper()
	got := w.nudges(t)
	if len(got) != n {
		t.Fatalf("%s: %d nudges, want %d: %+v", what, len(got), n, got)
	}
	return got
}

// waitNudges polls the stream until ok holds of the nudges, or fails.
func (w *world) waitNudges(t *testing.T, what string, ok func([]nudge) bool) []nudge {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := w.nudges(t)
		if ok(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; nudges: %+v", what, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantNudge checks one nudge against what the test worked out.
func wantNudge(t *testing.T, n nudge, member, kind, reason, about, day string, deliverAt time.Time) {
	t.Helper()
	if n.Member != member || n.Kind != kind || n.Reason != reason || n.About != about || n.Day != day || !n.DeliverAt.Equal(deliverAt) {
		t.Errorf("nudge %+v,\nwant member %s, %s/%s about %q, day %s, deliver at %s", n.NudgeIssued, member, kind, reason, about, day, deliverAt)
	}
}

// ruleKudosEvents counts the kudos the rules engine gave and took back,
// by the agent and the type of the event that caused each.
type ruleKudosEvent struct {
	ID        string
	Agent     string
	CauseID   string
	CauseType string
	Retracted bool
}

func (w *world) ruleKudos(t *testing.T) []ruleKudosEvent {
	t.Helper()
	var out []ruleKudosEvent
	w.streamEvents(t, func(env event.Envelope, d event.Data) {
		switch e := d.(type) {
		case event.KudosGiven:
			if e.Channel == event.ChannelRule {
				out = append(out, ruleKudosEvent{ID: env.ID, Agent: e.Recipients[0], CauseID: e.Cause.EventID, CauseType: e.Cause.Type})
			}
		case event.KudosRetracted:
			for i := range out {
				if out[i].ID == e.KudosID {
					if out[i].Retracted {
						t.Errorf("kudos %s retracted twice", e.KudosID)
					}
					out[i].Retracted = true
				}
			}
		}
	})
	return out
}

// rebuild rebuilds the rules projection through the API and waits for it.
func rebuild(t *testing.T, e *enginetest.Engine) {
	t.Helper()
	last := e.StreamLastSeq(t)
	operator := e.Key(t, auth.BootstrapTenant, auth.Admin, "")
	e.Do(t, "POST", "/v1/projections/rules/rebuild", operator, nil).Want(t, http.StatusAccepted)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := e.Runners[rules.Name].Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !s.Rebuilding && s.LastSeq >= last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebuild not done: %+v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
