package relay_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/relay"
)

// TestCountDeadLetters: Count counts each relay's dead letters in every
// tenant, and forgets those removed.
func TestCountDeadLetters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := w.dead.Count(ctx); err != nil || len(n) != 0 {
		t.Fatalf("Count of an empty bucket = %v, %v", n, err)
	}
	for _, d := range []relay.DeadLetter{
		{Tenant: "acme", Relay: "webhook_a", Seq: 1},
		{Tenant: "acme", Relay: "webhook_a", Seq: 2},
		{Tenant: "globex", Relay: "webhook_a", Seq: 3},
		{Tenant: "acme", Relay: "slack_acme_posts", Seq: 4},
	} {
		if err := w.dead.Add(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.dead.Remove(ctx, "acme", "webhook_a", 2); err != nil {
		t.Fatal(err)
	}
	got, err := w.dead.Count(ctx)
	if want := map[string]int{"webhook_a": 2, "slack_acme_posts": 1}; err != nil || !maps.Equal(got, want) {
		t.Errorf("Count = %v, %v; want %v", got, err, want)
	}
}

func TestOwner(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"webhook_0190": "webhook", "slack_acme_posts": "slack", "teams_acme_nudges": "teams", "test": "test"} {
		if got := relay.Owner(name); got != want {
			t.Errorf("Owner(%q) = %q, want %q", name, got, want)
		}
	}
}
