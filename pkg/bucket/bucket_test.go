package bucket_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/testenv"
)

type rec struct {
	N int `json:"n"`
}

func TestOpenAndAll(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	kv, err := bucket.Open(ctx, testenv.JetStream(t, testenv.NATS(t, "")), jetstream.KeyValueConfig{Bucket: "bucket_test"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config; cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 {
		t.Errorf("bucket on %v with %d replicas, want file storage and 1", cfg.Storage, cfg.Replicas)
	}

	if got, err := bucket.All[rec](ctx, kv); err != nil || len(got) != 0 {
		t.Fatalf("empty bucket: %v, %v", got, err)
	}
	for key, value := range map[string]string{"a.1": `{"n":1}`, "a.2": `{"n":2}`, "b.1": `{"n":3}`, "a.gone": `{"n":4}`} {
		if _, err := kv.PutString(ctx, key, value); err != nil {
			t.Fatal(err)
		}
	}
	if err := kv.Delete(ctx, "a.gone"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		filters []string
		want    []bucket.Record[rec]
	}{
		{"every key", nil, []bucket.Record[rec]{{"a.1", rec{1}}, {"a.2", rec{2}}, {"b.1", rec{3}}}},
		{"filtered", []string{"a.*"}, []bucket.Record[rec]{{"a.1", rec{1}}, {"a.2", rec{2}}}},
		{"several filters", []string{"a.2", "b.*"}, []bucket.Record[rec]{{"a.2", rec{2}}, {"b.1", rec{3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bucket.All[rec](ctx, kv, tt.filters...)
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	if _, err := kv.PutString(ctx, "a.bad", "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.All[rec](ctx, kv, "a.*"); err == nil {
		t.Fatal("a value that is not JSON was decoded")
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	kv, err := bucket.Open(ctx, testenv.JetStream(t, testenv.NATS(t, "")), jetstream.KeyValueConfig{Bucket: "bucket_test"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "a.before", "1"); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	changed := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- bucket.Watch(ctx, kv, "a.*", func() { close(started) }, func(e jetstream.KeyValueEntry) { changed <- e.Key() })
	}()
	<-started
	for _, key := range []string{"b.other", "a.after"} {
		if _, err := kv.PutString(ctx, key, "2"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case key := <-changed:
		if key != "a.after" {
			t.Errorf("changed %q, want only a.after", key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change seen")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch ended with %v, want nil", err)
	}
	if len(changed) != 0 {
		t.Errorf("more changes than a.after: %d", len(changed))
	}
}
