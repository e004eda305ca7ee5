package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/session"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func open(t *testing.T) (*session.Sessions, *auth.Keys, *testenv.Clock, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	js := testenv.JetStream(t, testenv.NATS(t, ""))
	keys, err := auth.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	clock := testenv.NewClock(time.Now())
	s, err := session.Open(ctx, js, keys, 1, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s, keys, clock, ctx
}

var ana = session.Link{Tenant: "acme", Member: "ana", Role: auth.Member, IssuedBy: "k_admin"}

// TestLinkSignsInOnce: a link opens one session, a session key of the
// member's that expires; used again, it opens nothing.
func TestLinkSignsInOnce(t *testing.T) {
	t.Parallel()
	s, keys, clock, ctx := open(t)
	token, l, err := s.NewLink(ctx, ana, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.ExpiresAt.Sub(clock.Now()); got > session.LinkTTL || got < session.LinkTTL-time.Second {
		t.Errorf("link works for %v, want %v", got, session.LinkTTL)
	}
	if peek, err := s.Peek(ctx, token); err != nil || peek.Member != "ana" {
		t.Fatalf("peek: %+v, %v", peek, err)
	}
	secret, p, err := s.Redeem(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Session || p.Member != "ana" || p.Tenant != "acme" || p.Role != auth.Member || p.ExpiresAt == nil {
		t.Errorf("session principal %+v", p)
	}
	got, err := keys.Authenticate(ctx, secret)
	if err != nil || got.KeyID != p.KeyID {
		t.Fatalf("session key: %+v, %v", got, err)
	}
	if _, _, err := s.Redeem(ctx, token); !errors.Is(err, session.ErrInvalidLink) {
		t.Fatalf("second use: %v, want ErrInvalidLink", err)
	}
	if _, err := s.Peek(ctx, token); !errors.Is(err, session.ErrInvalidLink) {
		t.Fatalf("peek after use: %v, want ErrInvalidLink", err)
	}
	// The key ends with the session (auth's tests hold an expired key
	// refused).
	if want := clock.Now().Add(session.TTL); p.ExpiresAt.Sub(want).Abs() > time.Second {
		t.Errorf("session ends at %v, want %v", p.ExpiresAt, want)
	}
}

// TestRacingRedemptionsOpenOneSession: of many redemptions of one link at
// once, exactly one opens a session.
func TestRacingRedemptionsOpenOneSession(t *testing.T) {
	t.Parallel()
	s, _, _, ctx := open(t)
	for round := range 5 {
		token, _, err := s.NewLink(ctx, ana, 0)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, lost := 0, 0
		for range 8 {
			wg.Go(func() {
				_, _, err := s.Redeem(ctx, token)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, session.ErrInvalidLink):
					lost++
				default:
					t.Errorf("redeem: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 || lost != 7 {
			t.Fatalf("round %d: %d sessions opened, %d refused; want 1 and 7", round, won, lost)
		}
	}
}

// TestExpiredAndUnknownLinksRefused: a link past its time, and tokens that
// are no link's, sign nobody in.
func TestExpiredAndUnknownLinksRefused(t *testing.T) {
	t.Parallel()
	s, _, clock, ctx := open(t)
	token, _, err := s.NewLink(ctx, ana, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	if _, _, err := s.Redeem(ctx, token); !errors.Is(err, session.ErrInvalidLink) {
		t.Fatalf("expired link: %v, want ErrInvalidLink", err)
	}
	for _, bad := range []string{"", "pls_", token + "x", "pls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, _, err := s.Redeem(ctx, bad); !errors.Is(err, session.ErrInvalidLink) {
			t.Errorf("token %q: %v, want ErrInvalidLink", bad, err)
		}
	}
	// A link asked for longer than MaxLinkTTL works MaxLinkTTL.
	_, l, err := s.NewLink(ctx, ana, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.ExpiresAt.Sub(clock.Now()); got > session.MaxLinkTTL {
		t.Errorf("link works for %v, longer than %v", got, session.MaxLinkTTL)
	}
}
