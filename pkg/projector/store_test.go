package projector

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

type layoutProjection struct{ layout int }

func (layoutProjection) Name() string                                    { return "layout" }
func (layoutProjection) Filters() []string                               { return nil }
func (layoutProjection) Apply(_ context.Context, tx *Tx, ev Event) error { return nil }
func (p layoutProjection) Layout() int                                   { return p.layout }

// TestOpenStoreRebuildsOtherLayouts: a store written with another layout,
// or one that is not a Pebble database, opens empty (to be rebuilt from the
// stream); one of the same layout keeps its position.
func TestOpenStoreRebuildsOtherLayouts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := StorePath(dir, "layout")
	log := slog.New(slog.DiscardHandler)
	open := func(layout int) uint64 {
		t.Helper()
		db, err := openStore(path, layoutProjection{layout}, log)
		if err != nil {
			t.Fatalf("open with layout %d: %v", layout, err)
		}
		defer db.Close()
		last, err := readU64(db, keyLastSeq)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Set(bucketKey(metaBucket, keyLastSeq), u64(42), pebble.NoSync); err != nil {
			t.Fatal(err)
		}
		return last
	}
	if got := open(1); got != 0 {
		t.Fatalf("new store at %d", got)
	}
	if got := open(1); got != 42 {
		t.Errorf("same layout reopened at %d, want 42", got)
	}
	if got := open(2); got != 0 {
		t.Errorf("store of layout 1 opened with layout 2 at %d, want 0 (rebuilt)", got)
	}
	// A torn store: its manifest is garbage.
	manifests, _ := filepath.Glob(filepath.Join(path, "MANIFEST-*"))
	if len(manifests) == 0 {
		t.Fatal("no manifest in the store")
	}
	for _, m := range manifests {
		if err := os.WriteFile(m, []byte("torn by a power cut"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := open(2); got != 0 {
		t.Errorf("unreadable store opened at %d, want 0 (rebuilt)", got)
	}
}

// TestOpenStoreLeavesALockedStore: a store another process (or runner)
// holds open is refused, never deleted as if it were damaged.
func TestOpenStoreLeavesALockedStore(t *testing.T) {
	t.Parallel()
	path := StorePath(t.TempDir(), "locked")
	log := slog.New(slog.DiscardHandler)
	db, err := openStore(path, layoutProjection{1}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Set(bucketKey(metaBucket, keyLastSeq), u64(7), pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	if second, err := openStore(path, layoutProjection{1}, log); err == nil {
		second.Close()
		t.Fatal("a second open of a store in use succeeded")
	}
	if last, err := readU64(db, keyLastSeq); err != nil || last != 7 {
		t.Errorf("the store in use reads last_seq %d, %v; want 7", last, err)
	}
	if _, err := os.Stat(filepath.Join(path, "LOCK")); err != nil {
		t.Errorf("the store in use lost its files: %v", err)
	}
}
