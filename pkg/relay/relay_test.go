package relay_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/testenv"
)

type world struct {
	store *eventstore.Store
	dead  *relay.DeadLetters
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := testenv.Store(t, testenv.NATS(t, ""))
	dead, err := relay.OpenDeadLetters(context.Background(), st.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return &world{store: st, dead: dead}
}

func (w *world) append(t *testing.T) string {
	t.Helper()
	env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), eventtest.Kudos())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Append(context.Background(), eventstore.Pending{Event: env}); err != nil {
		t.Fatal(err)
	}
	return env.ID
}

// relay returns a relay of tenant acme that sends with send, retrying
// every few milliseconds for up to a second.
func (w *world) relay(send func(ctx context.Context, env event.Envelope, raw []byte) error) *relay.Relay {
	return &relay.Relay{
		Stream: w.store.Stream(), Name: "test", Tenant: "acme", Dead: w.dead, Send: send,
		Retries: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 5*time.Millisecond, 20*time.Millisecond, time.Second
			return b
		},
		Log: slog.New(slog.DiscardHandler),
	}
}

// TestRetryAfterIsHonoured: a destination that asks to be left alone for
// a while is not tried again sooner, though the backoff would.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.append(t)
	var (
		mu       sync.Mutex
		attempts []time.Time
	)
	done := make(chan struct{})
	r := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, time.Now())
		if len(attempts) == 1 {
			return &relay.RetryAfterError{After: 400 * time.Millisecond, Err: errors.New("429")}
		}
		close(done)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no second attempt")
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := attempts[1].Sub(attempts[0]); gap < 400*time.Millisecond {
		t.Errorf("tried again after %v; the destination asked for 400ms", gap)
	}
}

// TestHaltLeavesTheEventForNextTime: a relay halted by its destination
// returns the error and does not acknowledge the event, which a relay of
// the same name is offered again; one delivered is not.
func TestHaltLeavesTheEventForNextTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first, second := w.append(t), w.append(t)
	gone := errors.New("gone")
	var sent []string
	r := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
		sent = append(sent, env.ID)
		if env.ID == second && len(sent) == 2 {
			return relay.Halt(gone)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Run(ctx); !errors.Is(err, gone) {
		t.Fatalf("Run = %v, want the halting error", err)
	}
	done := make(chan struct{})
	again := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
		sent = append(sent, env.ID)
		close(done)
		return nil
	})
	ctx2, cancel2 := context.WithCancel(ctx)
	defer cancel2()
	ran := make(chan error, 1)
	go func() { ran <- again.Run(ctx2) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the halted event was not offered again")
	}
	cancel2()
	<-ran
	if want := []string{first, second, second}; len(sent) != 3 || sent[0] != want[0] || sent[1] != want[1] || sent[2] != want[2] {
		t.Errorf("sent %v, want %v", sent, want)
	}
}

// TestStopLetsTheAttemptFinish: a relay stopped while its destination is
// taking an event lets that attempt end and acknowledges the event, so a
// relay started again does not send it twice.
func TestStopLetsTheAttemptFinish(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := w.append(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	var sent []string
	var mu sync.Mutex
	var once sync.Once
	r := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
		mu.Lock()
		sent = append(sent, env.ID)
		mu.Unlock()
		if env.ID == first {
			once.Do(func() { close(inFlight) })
			<-release // the destination takes its time
		}
		return ctx.Err() // cut off: the destination never answered
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	<-inFlight
	cancel()
	close(release)
	if err := <-ran; err != nil {
		t.Fatalf("Run = %v", err)
	}
	second := w.append(t)
	again := w.relay(r.Send)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { ran <- again.Run(ctx2) }()
	if !testenv.Within(20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(sent, second) }) {
		t.Fatalf("the next event never came: sent %v", sent)
	}
	cancel2()
	<-ran
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 || sent[0] != first || sent[1] != second {
		t.Errorf("sent %v, want %s once, then %s", sent, first, second)
	}
}
