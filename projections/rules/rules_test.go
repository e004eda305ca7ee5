package rules_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/rules"
)

// ruleKudos reads the kudos the rules engine gave, by the rating that
// caused each.
func ruleKudos(t *testing.T, e *enginetest.Engine) map[string]event.KudosGiven {
	t.Helper()
	out := map[string]event.KudosGiven{}
	err := e.Store.Scan(context.Background(), []string{event.StreamSubjects}, 0, e.StreamLastSeq(t), func(m jetstream.Msg, _ uint64) error {
		_, d, err := event.Read(m.Data())
		if err != nil {
			return err
		}
		if k, ok := d.(event.KudosGiven); ok && k.Channel == event.ChannelRule {
			if _, dup := out[k.Cause.EventID]; dup {
				t.Errorf("two kudos for rating %s", k.Cause.EventID)
			}
			out[k.Cause.EventID] = k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRatingsBecomeRecognition: ratings at their scale's threshold become
// kudos to the agent from the platform's customers, quoting the comment;
// lower ones and ratings of members who left give nothing. Rebuilding the
// rules engine, or a second replica reading the whole stream, gives
// nothing new.
func TestRatingsBecomeRecognition(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{Modules: []projector.Module{rules.Module()}})
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin,
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "cy", Team: "support", TimeZone: "Asia/Tokyo"},
	)
	e.Do(t, "DELETE", "/v1/members/cy", admin, nil).Want(t, http.StatusCreated)
	publisher := e.Key(t, "acme", auth.Publisher, "")
	rate := func(agent, scale string, score int, comment string) string {
		t.Helper()
		body := map[string]any{"platform": "cxone", "interaction_id": fmt.Sprintf("call-%s-%s-%d", agent, scale, score), "agent": agent,
			"score": score, "scale": scale, "channel": "voice", "handle_time_seconds": 240,
			"occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
		if comment != "" {
			body["comment"] = comment
		}
		return e.Do(t, "POST", "/v1/ratings", publisher, body).Want(t, http.StatusCreated).Str("id")
	}
	want := map[string]bool{
		rate("bo", event.ScaleStars5, 5, "Bo sorted out my router in ten minutes"): true,
		rate("bo", event.ScaleStars5, 4, ""):                                       false,
		rate("bo", event.ScaleNPS10, 9, ""):                                        true,
		rate("bo", event.ScaleNPS10, 8, "fine"):                                    false,
		rate("bo", event.ScaleCSAT5, 5, ""):                                        true,
		rate("bo", event.ScaleCSAT5, 1, "awful"):                                   false,
	}
	e.CaughtUp(t, 10*time.Second)
	got := ruleKudos(t, e)
	for id, qualifies := range want {
		k, ok := got[id]
		if ok != qualifies {
			t.Errorf("rating %s: kudos %v, want %v", id, ok, qualifies)
			continue
		}
		if ok && (k.Giver != command.CustomerGiver("cxone") || len(k.Recipients) != 1 || k.Recipients[0] != "bo" ||
			k.Spent != 0 || k.Visibility != event.Public || k.Cause.Type != event.TypeRatingReceived) {
			t.Errorf("kudos for rating %s: %+v", id, k)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d rule kudos, want 3", len(got))
	}
	var quoted bool
	for _, k := range got {
		quoted = quoted || k.Message == "A customer rated your call 5 of 5: “Bo sorted out my router in ten minutes”"
	}
	if !quoted {
		t.Errorf("no kudos quotes the customer: %+v", got)
	}

	// Nothing for a member who left, however high the rating.
	e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{"platform": "cxone", "interaction_id": "call-cy", "agent": "cy",
		"score": 5, "scale": "stars_5", "channel": "voice", "handle_time_seconds": 60,
		"occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}).Want(t, http.StatusCreated)
	e.CaughtUp(t, 10*time.Second)
	if n := len(ruleKudos(t, e)); n != 3 {
		t.Errorf("%d rule kudos after a rating of a member who left, want 3", n)
	}

	// A rebuild applies every rating again, and emits nothing.
	last := e.StreamLastSeq(t)
	rebuild(t, e)
	if now := e.StreamLastSeq(t); now != last {
		t.Errorf("the rebuild appended %d events", now-last)
	}
	if n := len(ruleKudos(t, e)); n != 3 {
		t.Errorf("%d rule kudos after the rebuild, want 3", n)
	}

	// A second replica reads every rating from the first: it emits nothing
	// either, though neither knows of the other.
	mod := rules.Module()
	mod.Projection.(rules.Projection).UseCommands(e.Command)
	r2, err := projector.New(mod.Projection, projector.Config{Stream: e.Store, Dir: t.TempDir(), Replica: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r2.Run(ctx) }()
	for r2.LastSeq() < last {
		select {
		case err := <-done:
			t.Fatalf("replica stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if now := e.StreamLastSeq(t); now != last {
		t.Errorf("a second replica appended %d events", now-last)
	}
}
