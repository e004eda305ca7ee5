package idempotency

import (
	"errors"
	"testing"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestReleaseFreesOnlyItsOwnReservation: a request that could not learn
// whether its reservation was made (the bucket did not answer) releases it
// once the bucket answers, so that the client's retry runs instead of
// being told for a minute that it is in progress; it never releases
// another request's reservation, nor an answer.
func TestReleaseFreesOnlyItsOwnReservation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, testenv.JetStream(t, testenv.NATS(t, "")), 1)
	if err != nil {
		t.Fatal(err)
	}
	key, print := Key("acme", "k1", "kudos.give", "retry-me"), Fingerprint([]byte("body"))
	_, slot, err := s.Begin(ctx, key, print)
	if err != nil || slot == nil {
		t.Fatalf("begin: %v", err)
	}
	s.release(key, "another request")
	if _, _, err := s.Begin(ctx, key, print); !errors.Is(err, ErrInProgress) {
		t.Fatalf("another request's reservation was released: begin again: %v", err)
	}
	s.release(key, slot.owner)
	_, again, err := s.Begin(ctx, key, print)
	if err != nil || again == nil {
		t.Fatalf("the released key is not free: %v", err)
	}
	if err := s.Finish(ctx, again, 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	s.release(key, again.owner)
	if a, _, err := s.Begin(ctx, key, print); err != nil || a == nil || a.Status != 201 {
		t.Fatalf("an answer was released: %+v, %v", a, err)
	}
}
