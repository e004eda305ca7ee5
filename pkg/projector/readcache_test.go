package projector

import (
	"errors"
	"strconv"
	"testing"
)

func TestReadCacheEvictsOldestFirst(t *testing.T) {
	t.Parallel()
	c := NewReadCache[string](3)
	for i := range 5 {
		c.Put(strconv.Itoa(i), "v"+strconv.Itoa(i), 1)
	}
	c.Put("4", "v4 again", 2) // read later: it replaces the value, not its place
	c.Put("4", "not kept: read from an older snapshot", 1)
	for i := range 5 {
		v, ok := c.Get([]byte(strconv.Itoa(i)), 2)
		if want := i >= 2; ok != want {
			t.Errorf("key %d cached = %v, want %v", i, ok, want)
		}
		if want := "v" + strconv.Itoa(i) + map[bool]string{true: " again"}[i == 4]; ok && v != want {
			t.Errorf("key %d is %q, want %q", i, v, want)
		}
	}
	c.Put("5", "v5", 2) // evicts the oldest, "2": "4" kept its place
	if _, ok := c.Get([]byte("2"), 2); ok {
		t.Error("a replaced value moved the oldest out of turn")
	}
	var none *ReadCache[string]
	if _, ok := none.Get([]byte("1"), 1); ok {
		t.Error("a nil cache found a value")
	}
	none.Put("1", "v", 1) // no cache: nothing to do, no panic
	none.Changed([]byte("1"), 1)
}

// TestReadCacheChanges: a changed key is dropped, and is not kept again
// from a snapshot older than the change (read before the change was
// committed); one read from a snapshot with the change is. A reader never
// gets a value read from a newer snapshot than its own.
func TestReadCacheChanges(t *testing.T) {
	t.Parallel()
	c := NewReadCache[int](10)
	c.Put("a", 1, 5)
	c.Put("b", 1, 5)
	if _, ok := c.Get([]byte("a"), 4); ok {
		t.Error("a reader at 4 got a value read at 5")
	}
	c.Changed([]byte("a"), 9)
	if _, ok := c.Get([]byte("a"), 9); ok {
		t.Error("a changed key is still cached")
	}
	if _, ok := c.Get([]byte("b"), 9); !ok {
		t.Error("a change dropped another key")
	}
	c.Put("a", 1, 8) // a reader whose snapshot predates the change
	if _, ok := c.Get([]byte("a"), 9); ok {
		t.Error("a value read before the change was kept")
	}
	c.Put("a", 2, 9)
	if v, ok := c.Get([]byte("a"), 9); !ok || v != 2 {
		t.Errorf("value read with the change: %v, %v", v, ok)
	}
	c.Changed([]byte("b"), 7) // an older change, applied again on a retry
	c.Changed([]byte("b"), 6)
	c.Put("b", 1, 6)
	if _, ok := c.Get([]byte("b"), 9); ok {
		t.Error("the newest change's bound went back")
	}
}

// TestReadCacheForgetsChangesPastItsSize: once it has heard of changes to
// more keys than it holds, the cache forgets which they were and keeps
// nothing read before the newest of those changes.
func TestReadCacheForgetsChangesPastItsSize(t *testing.T) {
	t.Parallel()
	c := NewReadCache[string](2)
	c.Get([]byte("x"), 1) // a reader misses: changes are remembered by key
	c.Changed([]byte("a"), 3)
	c.Changed([]byte("b"), 4)
	c.Changed([]byte("c"), 5) // a third: the first two are forgotten, bound 4
	c.Put("d", "d", 3)
	if _, ok := c.Get([]byte("d"), 9); ok {
		t.Error("a value read before a forgotten change was kept")
	}
	c.Put("e", "e", 4)
	if _, ok := c.Get([]byte("e"), 9); !ok {
		t.Error("a value read after every forgotten change was not kept")
	}
	c.Put("c", "c", 4) // before its own, remembered, change
	if _, ok := c.Get([]byte("c"), 9); ok {
		t.Error("a value read before its remembered change was kept")
	}
}

// TestReadCacheUnread: changes before the first read that missed the
// cache, or long after the last one, are not remembered key by key, only as
// a bound for every key.
func TestReadCacheUnread(t *testing.T) {
	t.Parallel()
	c := NewReadCache[string](10)
	c.Changed([]byte("a"), 2)
	if len(c.changed) != 0 || c.floor != 2 {
		t.Errorf("a change before any read: by key %v, bound %d", c.changed, c.floor)
	}
	if _, ok := c.Get([]byte("a"), 5); ok {
		t.Fatal("an empty cache found a value")
	}
	late := uint64(5 + unwatched + 1)
	c.Changed([]byte("a"), late)
	if len(c.changed) != 0 {
		t.Errorf("a change nobody watched was remembered by key: %v", c.changed)
	}
	c.Put("b", "b", late-1) // another key, read before the change
	if _, ok := c.Get([]byte("b"), late); ok {
		t.Error("a value read before an unwatched change was kept")
	}
	c.Put("b", "b", late)
	if _, ok := c.Get([]byte("b"), late); !ok {
		t.Error("a value read with every change was not kept")
	}
}

// TestReadCacheOrderStaysBounded: keys dropped by changes and put again,
// over and over, leave no trail in the eviction order, and an old slot of a
// key put again does not evict it out of turn.
func TestReadCacheOrderStaysBounded(t *testing.T) {
	t.Parallel()
	c := NewReadCache[int](100)
	c.Get([]byte("x"), 0) // a reader misses: changes are remembered by key
	for i := range 1_000_000 {
		c.Put("a", i, uint64(i))
		c.Changed([]byte("a"), uint64(i)+1)
	}
	if n := len(c.order) - c.head; n > 2*len(c.entries)+1024 {
		t.Fatalf("%d slots in the eviction order for %d entries", n, len(c.entries))
	}
	c = NewReadCache[int](2)
	c.Put("a", 1, 1)
	c.Changed([]byte("a"), 2)
	c.Put("b", 1, 2)
	c.Put("a", 2, 2) // a's first slot, before b's, is stale
	c.Put("c", 1, 2) // one too many: b, the oldest kept, goes
	if _, ok := c.Get([]byte("a"), 2); !ok {
		t.Error("a stale slot evicted the key put again")
	}
	if _, ok := c.Get([]byte("b"), 2); ok {
		t.Error("the oldest entry was not evicted")
	}
}

// TestReadCacheKeepsNothingFromAFailedRead: a Reader that failed a read
// may have found nothing where there is something; what it read is not
// kept.
func TestReadCacheKeepsNothingFromAFailedRead(t *testing.T) {
	t.Parallel()
	c := NewReadCache[string](10)
	c.Keep(&Reader{seq: 5, err: errors.New("disk on fire")}, "a", "not found")
	if _, ok := c.Get([]byte("a"), 5); ok {
		t.Error("a value from a failed read was kept")
	}
	c.Keep(&Reader{seq: 5}, "a", "found")
	if v, ok := c.Get([]byte("a"), 5); !ok || v != "found" {
		t.Errorf("a value from a good read: %q, %v", v, ok)
	}
}

// TestReadCacheReset: after Reset (the store emptied and filled again from
// sequence 1), nothing read before is served, and what changed before no
// longer keeps out values read from the new store.
func TestReadCacheReset(t *testing.T) {
	t.Parallel()
	c := NewReadCache[string](10)
	_, _ = c.Get([]byte("a"), 150) // a miss: changes are remembered by key
	c.Put("a", "of the old store", 150)
	c.Changed([]byte("b"), 160)
	c.Reset()
	if v, ok := c.Get([]byte("a"), 200); ok {
		t.Errorf("after Reset a reader at 200 got %q", v)
	}
	c.Put("b", "of the new store", 3)
	if v, ok := c.Get([]byte("b"), 3); !ok || v != "of the new store" {
		t.Errorf("a value read after Reset at 3 was not kept: %q, %v", v, ok)
	}
	var none *ReadCache[string]
	none.Reset() // no cache: nothing to do, no panic
}
