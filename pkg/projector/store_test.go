package projector

import (
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type layoutProjection struct{ layout int }

func (layoutProjection) Name() string                 { return "layout" }
func (layoutProjection) Filters() []string            { return nil }
func (layoutProjection) Init(tx *bolt.Tx) error       { return nil }
func (layoutProjection) Apply(tx *Tx, ev Event) error { return nil }
func (p layoutProjection) Layout() int                { return p.layout }

// TestOpenStoreRebuildsOtherLayouts: a store written with another layout,
// or one that is not a bbolt file at all, opens empty (to be rebuilt from
// the stream); one of the same layout keeps its position.
func TestOpenStoreRebuildsOtherLayouts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "layout.db")
	open := func(layout int) uint64 {
		t.Helper()
		db, err := openStore(path, layoutProjection{layout})
		if err != nil {
			t.Fatalf("open with layout %d: %v", layout, err)
		}
		defer db.Close()
		var last uint64
		_ = db.View(func(tx *bolt.Tx) error { last = LastSeq(tx); return nil })
		if err := db.Update(func(tx *bolt.Tx) error { return putU64(tx, keyLastSeq, 42) }); err != nil {
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
	if err := os.WriteFile(path, []byte("torn by a power cut"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := open(2); got != 0 {
		t.Errorf("unreadable store opened at %d, want 0 (rebuilt)", got)
	}
}
