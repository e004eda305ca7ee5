package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/uuid"

	"github.com/plaudit/plaudit/internal/webhooktest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/visibility"
)

type deliveryWorld struct {
	store *eventstore.Store
	reg   *Registry
	dead  *relay.DeadLetters
}

func newDeliveryWorld(t *testing.T) *deliveryWorld {
	t.Helper()
	st := testenv.Store(t, testenv.NATS(t, ""))
	reg, err := OpenRegistry(context.Background(), st.JetStream(), 1, testSealer(t), Policy{Trusted: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	reg.now = func() time.Time { return time.Now().Add(-time.Minute) } // the stream's events come after
	dead, err := relay.OpenDeadLetters(context.Background(), st.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return &deliveryWorld{store: st, reg: reg, dead: dead}
}

// append stores d for tenant acme and returns its id.
func (w *deliveryWorld) append(t *testing.T, d event.Data) string {
	t.Helper()
	env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Append(context.Background(), eventstore.Pending{Event: env}); err != nil {
		t.Fatal(err)
	}
	return env.ID
}

// run runs a Deliverer of sub until the test ends, with retries of
// budget, and returns what Run returned on a channel.
func (w *deliveryWorld) run(t *testing.T, sub Subscription, budget time.Duration) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := &Deliverer{
		Registry: w.reg, Stream: w.store.Stream(), Client: w.reg.policy.Client(5 * time.Second), Dead: w.dead,
		Retries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 5*time.Millisecond, 50*time.Millisecond, budget
			return b
		},
		Log: slog.New(slog.DiscardHandler),
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		err := d.Run(ctx, sub)
		if err != nil && !errors.Is(err, ErrDisabled) {
			t.Errorf("Run: %v", err) // before the cleanup below returns
		}
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return done
}

func (w *deliveryWorld) subscribe(t *testing.T, rc *webhooktest.Receiver, types ...string) Subscription {
	t.Helper()
	sub, secret, err := w.reg.Create(context.Background(), "acme", rc.URL+"/in", types)
	if err != nil {
		t.Fatal(err)
	}
	rc.Trust(t, secret.Reveal())
	return sub
}

func waitTaken(t *testing.T, rc *webhooktest.Receiver, n int) []string {
	t.Helper()
	if !rc.Wait(n, 20*time.Second) {
		t.Fatalf("the receiver took %d deliveries (%d did not verify), want %d", len(rc.Taken()), rc.Bad(), n)
	}
	return rc.IDs()
}

// TestDeliversWhatTheIntegrationRoleSeesInOrder: every event the tenant's
// integration role may see reaches the endpoint once, signed, in stream
// order; a private kudos and a rating do not.
func TestDeliversWhatTheIntegrationRoleSeesInOrder(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t)
	rc := webhooktest.New(t, func(string, int) int { return http.StatusNoContent })
	sub := w.subscribe(t, rc)
	w.run(t, sub, time.Second)

	var want []string
	want = append(want, w.append(t, event.MemberUpserted{Member: "ana", Name: "Ana", Team: "support", TimeZone: "Europe/Lisbon", Active: true}))
	for range 20 {
		want = append(want, w.append(t, eventtest.Kudos()))
		private := eventtest.Kudos()
		private.Visibility = event.Private
		w.append(t, private)
	}
	w.append(t, event.RatingReceived{Platform: "cxone", InteractionID: "c-1", Agent: "bo", Score: 5, Scale: "stars_5",
		Channel: "voice", HandleTimeSeconds: 300, OccurredAt: time.Now().UTC().Truncate(time.Second)})
	last := w.append(t, event.MemberUpserted{Member: "bo", Name: "Bo", Team: "support", TimeZone: "Europe/Lisbon", Active: true})
	want = append(want, last)

	got := waitTaken(t, rc, len(want))
	if !slices.Equal(got, want) {
		t.Errorf("delivered %d events %v,\nwant %d in stream order %v", len(got), got, len(want), want)
	}
}

// TestEndpointDownThenBack: an endpoint failing its first requests gets
// every event of the types it subscribed to, in order, once it answers
// again.
func TestEndpointDownThenBack(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t)
	var mu sync.Mutex
	failures := 0
	rc := webhooktest.New(t, func(string, int) int {
		mu.Lock()
		defer mu.Unlock()
		if failures < 8 {
			failures++
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	sub := w.subscribe(t, rc, event.TypeKudosGiven)
	var want []string
	for range 5 {
		want = append(want, w.append(t, eventtest.Kudos()))
		// Visible, but not a type the subscription asked for.
		w.append(t, event.MemberUpserted{Member: "ana", Name: "Ana", Team: "support", TimeZone: "Europe/Lisbon", Active: true})
	}
	w.run(t, sub, 10*time.Second)
	if got := waitTaken(t, rc, len(want)); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

// TestGoneDisables: an endpoint answering 410 Gone disables its
// subscription and ends its deliveries.
func TestGoneDisables(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t)
	rc := webhooktest.New(t, func(string, int) int { return http.StatusGone })
	sub := w.subscribe(t, rc)
	w.append(t, eventtest.Kudos())
	done := w.run(t, sub, 10*time.Second)
	select {
	case err := <-done:
		if !errors.Is(err, ErrDisabled) {
			t.Fatalf("Run = %v, want ErrDisabled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run went on after a 410 Gone")
	}
	got, err := w.reg.Get(context.Background(), "acme", sub.ID)
	if err != nil || got.DisabledAt == nil {
		t.Errorf("subscription after a 410: %+v, %v", got, err)
	}
}

// TestDeadLetterThenNext: an event the endpoint never takes goes to the
// dead letters once the retry budget is spent, and the next is delivered.
func TestDeadLetterThenNext(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t)
	var poison string
	var mu sync.Mutex
	rc := webhooktest.New(t, func(id string, _ int) int {
		mu.Lock()
		defer mu.Unlock()
		if id == poison {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	sub := w.subscribe(t, rc, event.TypeKudosGiven)
	mu.Lock()
	poison = w.append(t, eventtest.Kudos())
	mu.Unlock()
	next := w.append(t, eventtest.Kudos())
	w.run(t, sub, 200*time.Millisecond)
	if got := waitTaken(t, rc, 1); !slices.Equal(got, []string{next}) {
		t.Errorf("delivered %v, want only %s", got, next)
	}
	dead, err := w.dead.List(context.Background(), "acme", RelayName(sub.ID))
	if err != nil || len(dead) != 1 || dead[0].EventID != poison || dead[0].Attempts < 2 || dead[0].LastError == "" {
		t.Fatalf("dead letters %+v, %v; want the poison event after several attempts", dead, err)
	}

	// Redelivered once the endpoint takes it: delivered, and no longer a
	// dead letter.
	mu.Lock()
	poison = ""
	mu.Unlock()
	d := &Deliverer{Registry: w.reg, Stream: w.store.Stream(), Client: w.reg.policy.Client(5 * time.Second), Dead: w.dead}
	if err := d.Redeliver(context.Background(), sub, dead[0].Seq); err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	if got := waitTaken(t, rc, 2); !slices.Equal(got, []string{next, dead[0].EventID}) {
		t.Errorf("delivered %v, want %s then the redelivered %s", got, next, dead[0].EventID)
	}
	if left, err := w.dead.List(context.Background(), "acme", RelayName(sub.ID)); err != nil || len(left) != 0 {
		t.Errorf("dead letters after the redelivery: %+v, %v", left, err)
	}
	if err := d.Redeliver(context.Background(), sub, dead[0].Seq); !errors.Is(err, relay.ErrNoDeadLetter) {
		t.Errorf("a second Redeliver = %v, want ErrNoDeadLetter", err)
	}
}

// TestLookupFailureIsRetried: a reaction whose kudos cannot be looked up
// for a moment (the store did not answer) is retried, not passed over as
// invisible.
func TestLookupFailureIsRetried(t *testing.T) {
	t.Parallel()
	w := newDeliveryWorld(t)
	rc := webhooktest.New(t, nil)
	sub := w.subscribe(t, rc, event.TypeReactionAdded)
	kudos := w.append(t, eventtest.Kudos())
	reaction := w.append(t, event.ReactionAdded{KudosID: kudos, Member: "cy", Emoji: "👏"})
	var mu sync.Mutex
	failures := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := &Deliverer{
		Registry: w.reg, Stream: w.store.Stream(), Client: w.reg.policy.Client(5 * time.Second), Dead: w.dead,
		Retries: func() backoff.BackOff { return backoff.NewConstantBackOff(5 * time.Millisecond) },
		Lookup: func(ctx context.Context, tenant, id string) (visibility.Kudos, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			if failures < 3 {
				failures++
				return visibility.Kudos{}, false, errors.New("store did not answer")
			}
			return visibility.Kudos{Giver: "ana", Recipients: []string{"bo", "cy"}}, id == kudos, nil
		},
		Log: slog.New(slog.DiscardHandler),
	}
	go func() { defer close(done); _ = d.Run(ctx, sub) }()
	t.Cleanup(func() { cancel(); <-done })
	if got := waitTaken(t, rc, 1); len(got) != 1 || got[0] != reaction {
		t.Errorf("delivered %v, want the reaction %s", got, reaction)
	}
}
