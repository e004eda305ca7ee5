// Package idempotency remembers the answer to every write that carried an
// Idempotency-Key, so that a retry, also after a restart, gets the original
// answer instead of doing the work again. Answers live in a JetStream
// key-value bucket for TTL (24 hours).
//
// A request first reserves its key with a short-lived marker. A concurrent
// duplicate sees the marker and is told to retry; a process that dies while
// holding one loses it after PendingTTL, and the retry then runs again. That
// is safe because commands derive their event ids from the key and the
// stream's duplicate window is longer than PendingTTL, so the retry's append
// is recognised as the one already made.
//
// A reservation whose fate the request cannot learn (the bucket did not
// answer: its leader was being elected) or that it cannot undo is released
// in the background once the bucket answers again, if it was made:
// otherwise every retry of the request would be told it is in progress
// until PendingTTL ran out, although nothing is.
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
)

// Bucket is the key-value bucket of answers.
const Bucket = "plaudit_idempotency"

// TTL is how long an answer is kept.
const TTL = 24 * time.Hour

// PendingTTL is how long a reservation outlives a crashed request. It must
// stay below the event stream's duplicate window.
const PendingTTL = time.Minute

// releaseWatch is how long release looks for a reservation it does not
// find: longer than a JetStream election takes.
const releaseWatch = 20 * time.Second

// Errors of Begin.
var (
	ErrInProgress = errors.New("idempotency: a request with this key is in progress")
	ErrMismatch   = errors.New("idempotency: key reused with a different request")
)

// Answer is a stored reply.
type Answer struct {
	Fingerprint string `json:"fingerprint"`
	// Owner tells apart the requests that reserve a key: a reservation is
	// released only by the one that made it.
	Owner  string          `json:"owner,omitempty"`
	Done   bool            `json:"done"`
	Status int             `json:"status,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Store keeps answers. It is safe for concurrent use.
type Store struct{ kv jetstream.KeyValue }

// Open creates or binds the bucket.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit idempotency answers", TTL: TTL, LimitMarkerTTL: PendingTTL,
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return &Store{kv: kv}, nil
}

// Slot names one idempotency key of one caller.
type Slot struct {
	key      string
	revision uint64
	print    string
	owner    string
}

// Key hashes the caller's scope (tenant, key id, operation) and the
// client's Idempotency-Key into a bucket key.
func Key(scope ...string) string {
	h := sha256.New()
	for _, s := range scope {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "idem." + hex.EncodeToString(h.Sum(nil))
}

// Fingerprint identifies a request's content.
func Fingerprint(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Begin reserves key for a request with fingerprint. It returns the stored
// answer when the request was answered before (replay it), ErrInProgress
// while another holds the key, ErrMismatch when the key was used for a
// different request, or a Slot to Finish or Abandon.
func (s *Store) Begin(ctx context.Context, key, fingerprint string) (*Answer, *Slot, error) {
	owner := rand.Text()
	pending, _ := json.Marshal(Answer{Fingerprint: fingerprint, Owner: owner})
	rev, err := s.kv.Create(ctx, key, pending, jetstream.KeyTTL(PendingTTL))
	if err == nil {
		return nil, &Slot{key: key, revision: rev, print: fingerprint, owner: owner}, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		// The reservation may have been made all the same.
		go s.release(key, owner)
		return nil, nil, fmt.Errorf("idempotency: %w", err)
	}
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil, ErrInProgress // expired between the two calls; the client retries
	}
	if err != nil {
		return nil, nil, fmt.Errorf("idempotency: %w", err)
	}
	var a Answer
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return nil, nil, fmt.Errorf("idempotency: stored answer: %w", err)
	}
	switch {
	case a.Fingerprint != fingerprint:
		return nil, nil, ErrMismatch
	case !a.Done:
		return nil, nil, ErrInProgress
	}
	return &a, nil, nil
}

// Finish stores the answer in the slot.
func (s *Store) Finish(ctx context.Context, slot *Slot, status int, body []byte) error {
	b, _ := json.Marshal(Answer{Fingerprint: slot.print, Done: true, Status: status, Body: body})
	if _, err := s.kv.Update(ctx, slot.key, b, slot.revision); err != nil {
		return fmt.Errorf("idempotency: finish: %w", err)
	}
	return nil
}

// Abandon frees the slot so that a retry runs the request again (after a
// failure that changed nothing).
func (s *Store) Abandon(ctx context.Context, slot *Slot) error {
	if err := s.kv.Delete(ctx, slot.key, jetstream.LastRevision(slot.revision)); err != nil {
		go s.release(slot.key, slot.owner)
		return fmt.Errorf("idempotency: abandon: %w", err)
	}
	return nil
}

// release deletes the reservation owner made of key, if it was made and is
// still pending, trying until the bucket answers, at most for PendingTTL
// (after which the reservation has expired anyway). A reservation not
// found may yet appear: a write the old leader of the bucket took before
// it died is committed by the new one once elected, seconds later. So
// release looks for releaseWatch before it concludes it was never made.
func (s *Store) release(key, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), PendingTTL)
	defer cancel()
	start, wait := time.Now(), 100*time.Millisecond
	for {
		e, err := s.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if time.Since(start) > releaseWatch {
				return
			}
		case err == nil:
			var a Answer
			if json.Unmarshal(e.Value(), &a) != nil || a.Owner != owner || a.Done {
				return
			}
			err := s.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
			if err == nil || errors.Is(err, jetstream.ErrKeyExists) { // ErrKeyExists: it changed meanwhile
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
