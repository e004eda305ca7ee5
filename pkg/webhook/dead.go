package webhook

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
)

// DeadBucket is the key-value bucket of the deliveries that ran out of
// retries, by tenant, subscription and stream sequence.
const DeadBucket = "plaudit_webhook_dead"

// DeadLetter is an event a subscription's endpoint did not take within
// its retry budget.
type DeadLetter struct {
	Tenant       string    `json:"tenant"`
	Subscription string    `json:"subscription"`
	EventID      string    `json:"event_id"`
	Type         string    `json:"type"`
	Seq          uint64    `json:"seq"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"last_error"`
	At           time.Time `json:"at"`
}

// DeadLetters keeps the dead letters in a bucket engines may share.
type DeadLetters struct{ kv jetstream.KeyValue }

// OpenDeadLetters creates or binds the dead-letter bucket.
func OpenDeadLetters(ctx context.Context, js jetstream.JetStream, replicas int) (*DeadLetters, error) {
	kv, err := bucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: DeadBucket, Description: "Plaudit webhook deliveries out of retries, by tenant, subscription and sequence",
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return &DeadLetters{kv: kv}, nil
}

func deadKey(tenant, sub string, seq uint64) string {
	return "dead." + tenant + "." + sub + "." + strconv.FormatUint(seq, 10)
}

// Add records a dead letter; recording one again replaces it.
func (dl *DeadLetters) Add(ctx context.Context, d DeadLetter) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := dl.kv.Put(ctx, deadKey(d.Tenant, d.Subscription, d.Seq), b); err != nil {
		return fmt.Errorf("webhook: dead letter %s: %w", d.EventID, err)
	}
	return nil
}

// List returns the subscription's dead letters in stream order.
func (dl *DeadLetters) List(ctx context.Context, tenant, sub string) ([]DeadLetter, error) {
	out, err := bucket.Values(ctx, dl.kv, func(a, b DeadLetter) int { return cmp.Compare(a.Seq, b.Seq) },
		"dead."+tenant+"."+sub+".*")
	if err != nil {
		return nil, fmt.Errorf("webhook: dead letters of %s: %w", sub, err)
	}
	return out, nil
}
