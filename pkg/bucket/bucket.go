// Package bucket opens the engine's JetStream key-value buckets (API keys,
// NATS credentials, idempotency answers) and reads every record of one of
// JSON values, and watches one for changes. It is not a store of its own:
// each owner writes and reads its bucket itself.
package bucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Open creates the bucket cfg describes, or binds it and brings its
// settings up to date, on file storage and with replicas replicas (at
// least one): the engine's buckets are kept as its event stream is.
func Open(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, replicas int) (jetstream.KeyValue, error) {
	cfg.Storage, cfg.Replicas = jetstream.FileStorage, max(replicas, 1)
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bucket: open %s: %w", cfg.Bucket, err)
	}
	// On a cluster, a bucket created a moment ago may have no leader
	// yet, and a write to it would find no responder: an engine's first
	// start on a new cluster failed so.
	if err := WaitLeader(ctx, js, "KV_"+cfg.Bucket); err != nil {
		return nil, fmt.Errorf("bucket: open %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// WaitLeader waits until stream has a leader, at most until ctx ends. On
// a single server it has one from the start.
func WaitLeader(ctx context.Context, js jetstream.JetStream, stream string) error {
	for {
		s, err := js.Stream(ctx, stream)
		if err == nil {
			var info *jetstream.StreamInfo
			if info, err = s.Info(ctx); err == nil && (info.Cluster == nil || info.Cluster.Leader != "") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("no leader")
			}
			return fmt.Errorf("stream %s: %w (%w)", stream, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Record is one value of a bucket, decoded, with the key it is stored under.
type Record[T any] struct {
	Key   string
	Value T
}

// All returns every record of kv whose key matches one of filters (every
// key when there are none), each value decoded from JSON into a T. A key
// deleted while the bucket is read is passed over. All blocks until the
// bucket is read or ctx ends, and reads one key at a time: it is meant for
// the small buckets of operator lists, not for hot paths.
func All[T any](ctx context.Context, kv jetstream.KeyValue, filters ...string) ([]Record[T], error) {
	lister, err := kv.ListKeysFiltered(ctx, filters...)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucket: list %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = lister.Stop() }()
	var out []Record[T]
	for key := range lister.Keys() {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bucket: get %s: %w", key, err)
		}
		r := Record[T]{Key: key}
		if err := json.Unmarshal(e.Value(), &r.Value); err != nil {
			return nil, fmt.Errorf("bucket: stored %s: %w", key, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Values returns the values of every record of kv whose key matches one
// of filters (All), in the order compare gives them.
func Values[T any](ctx context.Context, kv jetstream.KeyValue, compare func(a, b T) int, filters ...string) ([]T, error) {
	all, err := All[T](ctx, kv, filters...)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(all))
	for _, r := range all {
		out = append(out, r.Value)
	}
	slices.SortFunc(out, compare)
	return out, nil
}

// Watch calls changed for each change to a key of kv that matches key (a
// NATS wildcard such as "key.*" or ">"), made after the watch began, until
// ctx ends or the server ends the watch; then it returns nil. It calls
// started, when not nil, once the watch is in place: what started reads
// misses no change that follows. Watch blocks; changed and started run on
// its goroutine, one call at a time.
func Watch(ctx context.Context, kv jetstream.KeyValue, key string, started func(), changed func(jetstream.KeyValueEntry)) error {
	w, err := kv.Watch(ctx, key, jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("bucket: watch %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	if started != nil {
		started()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e != nil {
				changed(e)
			}
		}
	}
}
