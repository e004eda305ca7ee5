package feed

import (
	stdjson "encoding/json"
	"strconv"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
)

func TestItemCacheEvictsOldestFirst(t *testing.T) {
	t.Parallel()
	c := newItemCache(3)
	for i := range 5 {
		c.put(strconv.Itoa(i), &Item{ID: strconv.Itoa(i)}, 1)
	}
	c.put("4", &Item{ID: "not kept: items never change"}, 1)
	for i := range 5 {
		it, ok := c.get(strconv.Itoa(i), 1)
		if want := i >= 2; ok != want {
			t.Errorf("item %d cached = %v, want %v", i, ok, want)
		}
		if ok && it.ID != strconv.Itoa(i) {
			t.Errorf("item %d is %q", i, it.ID)
		}
	}
	var none *itemCache
	if _, ok := none.lookup("1", 1); ok {
		t.Error("a nil cache found an item")
	}
	none.store("1", &Item{}, 1) // no cache: nothing to do, no panic
	none.retract("1", 1)
	none.react("1", 1)
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
	if _, ok := c.get("a", 9); ok {
		t.Error("a retracted item is still cached")
	}
	if _, ok := c.get("b", 9); !ok {
		t.Error("retracting a dropped another item")
	}
	c.put("a", &Item{ID: "a"}, 8) // a reader whose snapshot predates the retraction
	if _, ok := c.get("a", 9); ok {
		t.Error("an item read before the retraction was kept")
	}
	c.put("c", &Item{ID: "c"}, 9)
	if _, ok := c.get("c", 9); !ok {
		t.Error("an item read from a snapshot with the retraction was not kept")
	}
	c.retract("c", 7) // an older retraction, applied again on a retry
	c.put("d", &Item{ID: "d"}, 8)
	if _, ok := c.get("d", 9); ok {
		t.Error("the newest retraction's bound went back")
	}
}

// TestItemCacheReactions: an item whose reactions changed is dropped, and
// is not kept again from a snapshot older than the reaction; a reader never
// gets counts from a snapshot newer than its own.
func TestItemCacheReactions(t *testing.T) {
	t.Parallel()
	c := newItemCache(10)
	c.put("a", &Item{ID: "a", Reactions: map[string]int{"🎉": 1}}, 5)
	c.put("b", &Item{ID: "b"}, 5)
	if _, ok := c.get("a", 4); ok {
		t.Error("a reader at 4 got counts read at 5")
	}
	c.react("a", 9)
	if _, ok := c.get("a", 9); ok {
		t.Error("an item whose reactions changed is still cached")
	}
	if _, ok := c.get("b", 9); !ok {
		t.Error("a reaction dropped another item")
	}
	c.put("a", &Item{ID: "a", Reactions: map[string]int{"🎉": 1}}, 8) // read before the reaction committed
	if _, ok := c.get("a", 9); ok {
		t.Error("counts read before the reaction were kept")
	}
	c.put("a", &Item{ID: "a", Reactions: map[string]int{"🎉": 2}}, 9)
	if it, ok := c.get("a", 9); !ok || it.Reactions["🎉"] != 2 {
		t.Errorf("counts read with the reaction: %v, %v", it, ok)
	}
	c.react("b", 7) // an older reaction, applied again on a retry
	c.put("b", &Item{ID: "b"}, 6)
	if _, ok := c.get("b", 9); ok {
		t.Error("an item read before its reaction was kept")
	}
}

// TestItemCacheReactedBound: once it has heard of more reacted items than
// it holds, the cache forgets which they were and keeps nothing read
// before the newest of those reactions.
func TestItemCacheReactedBound(t *testing.T) {
	t.Parallel()
	c := newItemCache(2)
	c.react("a", 3)
	c.react("b", 4)
	c.react("c", 5) // a third: the first two are forgotten, bound 4
	c.put("d", &Item{ID: "d"}, 3)
	if _, ok := c.get("d", 9); ok {
		t.Error("an item read before a forgotten reaction was kept")
	}
	c.put("e", &Item{ID: "e"}, 4)
	if _, ok := c.get("e", 9); !ok {
		t.Error("an item read after every forgotten reaction was not kept")
	}
	c.put("c", &Item{ID: "c"}, 4) // before its own, remembered, reaction
	if _, ok := c.get("c", 9); ok {
		t.Error("an item read before its remembered reaction was kept")
	}
}

// TestPageJSON: a page writes the JSON encoding/json writes for it, with
// items from the cache (encoded once each) or not, HTML characters and
// separators included, and with or without a next cursor.
func TestPageJSON(t *testing.T) {
	t.Parallel()
	items := []Item{{
		ID: "k1", Seq: 7, Time: time.Date(2026, 3, 29, 1, 30, 0, 5, time.FixedZone("", 3600)),
		Giver: "ana", Recipients: []string{"bo", "cy"}, Message: "<b>Tom & Jerry</b>\u2028\u2029 \"quoted\" \x01 🎉",
		Values: []string{"kindness"}, Points: 3, Visibility: "public", Channel: "slack",
		Reactions: map[string]int{"🎉": 2, ":clap:": 1, "<&>": 4}, Teams: []string{"support"},
	}, {
		ID: "k2", Seq: 9, Giver: "bo", Recipients: []string{"ana"}, Message: "thanks", Values: []string{},
		Reactions: noReactions,
	}}
	var cached []Item
	for _, it := range items {
		enc, err := gojson.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		it.encoded = enc
		cached = append(cached, it)
	}
	for _, cursor := range []string{"", "00000000000000ff"} {
		for what, page := range map[string]Page{
			"cached": {Items: cached, NextCursor: cursor}, "uncached": {Items: items, NextCursor: cursor},
			"mixed": {Items: []Item{items[0], cached[1]}, NextCursor: cursor}, "empty": {Items: []Item{}, NextCursor: cursor},
			"none": {NextCursor: cursor},
		} {
			want, err := stdjson.Marshal(page)
			if err != nil {
				t.Fatal(err)
			}
			got, err := page.AppendJSON(nil)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if string(got) != string(want) {
				t.Errorf("%s items, cursor %q:\n got %s\nwant %s", what, cursor, got, want)
			}
		}
	}
}
