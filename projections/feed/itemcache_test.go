package feed

import (
	"strconv"
	"testing"
)

func TestItemCacheEvictsOldestFirst(t *testing.T) {
	t.Parallel()
	c := newItemCache(3)
	for i := range 5 {
		c.put(strconv.Itoa(i), &Item{ID: strconv.Itoa(i)}, 1)
	}
	c.put("4", &Item{ID: "not kept: items never change"}, 1)
	for i := range 5 {
		it, ok := c.get(strconv.Itoa(i))
		if want := i >= 2; ok != want {
			t.Errorf("item %d cached = %v, want %v", i, ok, want)
		}
		if ok && it.ID != strconv.Itoa(i) {
			t.Errorf("item %d is %q", i, it.ID)
		}
	}
	var none *itemCache
	if _, ok := none.lookup("1"); ok {
		t.Error("a nil cache found an item")
	}
	none.store("1", &Item{}, 1) // no cache: nothing to do, no panic
	none.retract("1", 1)
}

// TestItemCacheRetraction: a retracted item is dropped, and an item read
// from a snapshot older than the retraction is not kept (it may be the
// retracted one, read before the retraction was committed); one read from
// a newer snapshot is.
func TestItemCacheRetraction(t *testing.T) {
	t.Parallel()
	c := newItemCache(10)
	c.put("a", &Item{ID: "a"}, 5)
	c.put("b", &Item{ID: "b"}, 5)
	c.retract("a", 9)
	if _, ok := c.get("a"); ok {
		t.Error("a retracted item is still cached")
	}
	if _, ok := c.get("b"); !ok {
		t.Error("retracting a dropped another item")
	}
	c.put("a", &Item{ID: "a"}, 8) // a reader whose snapshot predates the retraction
	if _, ok := c.get("a"); ok {
		t.Error("an item read before the retraction was kept")
	}
	c.put("c", &Item{ID: "c"}, 9)
	if _, ok := c.get("c"); !ok {
		t.Error("an item read from a snapshot with the retraction was not kept")
	}
	c.retract("c", 7) // an older retraction, applied again on a retry
	c.put("d", &Item{ID: "d"}, 8)
	if _, ok := c.get("d"); ok {
		t.Error("the newest retraction's bound went back")
	}
}
