package feed

import (
	"strconv"
	"testing"
)

func TestItemCacheEvictsOldestFirst(t *testing.T) {
	t.Parallel()
	c := newItemCache(3)
	for i := range 5 {
		c.put(strconv.Itoa(i), &Item{ID: strconv.Itoa(i)})
	}
	c.put("4", &Item{ID: "not kept: items never change"})
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
	none.store("1", &Item{}) // no cache: nothing to do, no panic
}
