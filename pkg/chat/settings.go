package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/event"
)

// ErrRaced is returned by Store.Put when the record changed between its
// read and the write: read again and decide again.
var ErrRaced = errors.New("chat: settings changed meanwhile")

// Store keeps each tenant's settings of an integration as one JSON record
// T under Key(tenant) in a key-value bucket several engines may share.
// Secrets in T are sealed by the caller, each for its own Holder.
type Store[T any] struct {
	KV jetstream.KeyValue
	// NotConfigured is returned for a tenant without a record (the
	// integration's wrap of api.ErrNotConfigured).
	NotConfigured error
	// Name names the integration in errors.
	Name string
}

// Key is the bucket key of a tenant's record; tenant ids are safe key
// tokens.
func Key(tenant string) string { return "tenant." + tenant }

// Holder binds a sealed secret to its tenant, integration and field, so
// that one copied into another field, or another tenant's record, does
// not open (package seal).
func Holder(tenant, integration, field string) string {
	return tenant + "/" + integration + "/" + field
}

// Get reads the tenant's record and its revision; NotConfigured when
// there is none (or the tenant is no valid id).
func (s Store[T]) Get(ctx context.Context, tenant string) (T, uint64, error) {
	var v T
	if !event.ValidID(tenant) {
		return v, 0, s.NotConfigured
	}
	e, err := s.KV.Get(ctx, Key(tenant))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return v, 0, s.NotConfigured
	}
	if err != nil {
		return v, 0, fmt.Errorf("%s: settings of %s: %w", s.Name, tenant, err)
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, 0, fmt.Errorf("%s: stored settings of %s: %w", s.Name, tenant, err)
	}
	return v, e.Revision(), nil
}

// Put writes the tenant's record: created when rev is 0, else only over
// revision rev; ErrRaced when another write came first.
func (s Store[T]) Put(ctx context.Context, tenant string, v T, rev uint64) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = s.KV.Create(ctx, Key(tenant), b)
	} else {
		_, err = s.KV.Update(ctx, Key(tenant), b, rev)
	}
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) || (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
		return ErrRaced
	}
	if err != nil {
		return fmt.Errorf("%s: store settings of %s: %w", s.Name, tenant, err)
	}
	return nil
}

// Remove deletes the tenant's record (its history too);
// NotConfigured when there is none.
func (s Store[T]) Remove(ctx context.Context, tenant string) error {
	if _, _, err := s.Get(ctx, tenant); err != nil {
		return err
	}
	if err := s.KV.Purge(ctx, Key(tenant)); err != nil {
		return fmt.Errorf("%s: remove settings of %s: %w", s.Name, tenant, err)
	}
	return nil
}

// All reads every tenant's record.
func (s Store[T]) All(ctx context.Context) ([]bucket.Record[T], error) {
	return bucket.All[T](ctx, s.KV, "tenant.*")
}

// Watch blocks while it watches the records, calling changed once the
// watch is in place and after each change (relay.Supervisor's Watch).
func (s Store[T]) Watch(ctx context.Context, changed func()) error {
	return bucket.Watch(ctx, s.KV, "tenant.*", changed, func(jetstream.KeyValueEntry) { changed() })
}
