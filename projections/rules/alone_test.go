package rules_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/rules"
)

// TestRulesAlone is "plauditd projector rules" in process: the rules engine
// runs as its own service against another engine's NATS, gives the kudos a
// rating earns through its own command service, and its timers sweep for
// gap nudges by asking the density projection, which runs in the other
// engine, over NATS.
func TestRulesAlone(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	c := enginetest.NewClock(t0)
	primary := enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t), Now: c.Now,
		Modules: []projector.Module{density.Module(), allowance.Module()}})
	w := &world{Engine: primary, clock: c}
	w.admin = primary.Key(t, "acme", "admin", "")
	w.publisher = primary.Key(t, "acme", "publisher", "")
	w.policy(t, `{"nudges":{"gap":"opt_out","quiet_hours":{"start":"00:00","end":"00:00"}}}`)
	w.seedLisbon(t, "ops", "", "mgr")
	w.seedLisbon(t, "ops", "mgr", "a")

	alone := enginetest.Start(t, engine.Config{Only: rules.Name, NATSURL: primary.NATSURL(), NATSKeysDir: primary.NATSKeysDir(), Replica: "r2",
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Now: c.Now, Modules: []projector.Module{rules.Module()}})
	if _, ok := alone.Runners[rules.Name]; !ok || len(alone.Runners) != 1 {
		t.Fatalf("the service runs %v", alone.Runners)
	}
	rated := primary.Do(t, "POST", "/v1/ratings", w.publisher, rating("c-1", "a", 5, event.ScaleStars5, time.Minute, t0.Add(-time.Minute))).
		Want(t, http.StatusCreated).Str("id")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.ruleKudos(t)
		if len(got) == 1 && got[0].CauseID == rated && got[0].Agent == "a" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rules service gave %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Sixteen days on, a has not been recognised since (the rule kudos was
	// on day 0), and the service's timers nudge mgr, once.
	c.Set(t0.Add(16 * 24 * time.Hour))
	n := w.waitNudges(t, "a gap nudge from the rules service", func(n []nudge) bool { return len(n) == 1 })
	wantNudge(t, n[0], "mgr", event.NudgeGap, event.ReasonRecognitionGap, "a", "2026-11-17", t0.Add(16*24*time.Hour))
	c.Set(t0.Add(16*24*time.Hour + 20*time.Minute)) // another sweep
	time.Sleep(2 * rules.PollEvery)
	if got := w.nudges(t); len(got) != 1 {
		t.Errorf("after another sweep: %+v", got)
	}
}
