package relay

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
)

// DeadBucket is the key-value bucket of the events relays gave up on, by
// tenant, relay and stream sequence.
const DeadBucket = "plaudit_dead_letters"

// ErrNoDeadLetter is returned when a relay has no dead letter of that
// sequence.
var ErrNoDeadLetter = errors.New("relay: no such dead letter")

// DeadLetter is an event a relay's destination did not take within its
// retry budget.
type DeadLetter struct {
	Tenant    string    `json:"tenant"`
	Relay     string    `json:"relay"`
	EventID   string    `json:"event_id"`
	Type      string    `json:"type"`
	Seq       uint64    `json:"seq"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	At        time.Time `json:"at"`
}

// DeadLetters keeps the dead letters in a bucket engines may share.
type DeadLetters struct{ kv jetstream.KeyValue }

// OpenDeadLetters creates or binds the dead-letter bucket.
func OpenDeadLetters(ctx context.Context, js jetstream.JetStream, replicas int) (*DeadLetters, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: DeadBucket, Description: "Plaudit events that integrations gave up delivering, by tenant, relay and sequence",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return &DeadLetters{kv: kv}, nil
}

func deadKey(tenant, relay string, seq uint64) string {
	return "dead." + tenant + "." + relay + "." + strconv.FormatUint(seq, 10)
}

// Add records a dead letter; recording one again replaces it.
func (dl *DeadLetters) Add(ctx context.Context, d DeadLetter) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := dl.kv.Put(ctx, deadKey(d.Tenant, d.Relay, d.Seq), b); err != nil {
		return fmt.Errorf("relay: dead letter %s: %w", d.EventID, err)
	}
	return nil
}

// Get returns the relay's dead letter of stream sequence seq.
func (dl *DeadLetters) Get(ctx context.Context, tenant, relay string, seq uint64) (DeadLetter, error) {
	var d DeadLetter
	e, err := dl.kv.Get(ctx, deadKey(tenant, relay, seq))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return d, ErrNoDeadLetter
	}
	if err != nil {
		return d, fmt.Errorf("relay: dead letter %d: %w", seq, err)
	}
	return d, json.Unmarshal(e.Value(), &d)
}

// Remove forgets a dead letter, once its event was delivered after all.
func (dl *DeadLetters) Remove(ctx context.Context, tenant, relay string, seq uint64) error {
	if err := dl.kv.Delete(ctx, deadKey(tenant, relay, seq)); err != nil {
		return fmt.Errorf("relay: dead letter %d: %w", seq, err)
	}
	return nil
}

// Count returns how many dead letters each relay has, by relay name. It
// reads the bucket's keys, not their values: dead letters are few, and a
// scrape now and then may count them.
func (dl *DeadLetters) Count(ctx context.Context) (map[string]int, error) {
	n := map[string]int{}
	lister, err := dl.kv.ListKeysFiltered(ctx, "dead.>")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return n, nil
	}
	if err != nil {
		return nil, fmt.Errorf("relay: count dead letters: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	for key := range lister.Keys() {
		// dead.<tenant>.<relay>.<seq>: neither ids nor names hold a dot.
		if parts := strings.Split(key, "."); len(parts) == 4 {
			n[parts[2]]++
		}
	}
	// The lister ends early, and quietly, when ctx does.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("relay: count dead letters: %w", err)
	}
	return n, nil
}

// List returns the relay's dead letters in stream order.
func (dl *DeadLetters) List(ctx context.Context, tenant, relay string) ([]DeadLetter, error) {
	out, err := bucket.Values(ctx, dl.kv, func(a, b DeadLetter) int { return cmp.Compare(a.Seq, b.Seq) },
		"dead."+tenant+"."+relay+".*")
	if err != nil {
		return nil, fmt.Errorf("relay: dead letters of %s: %w", relay, err)
	}
	return out, nil
}
