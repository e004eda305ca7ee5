package feed

import (
	stdjson "encoding/json"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
)

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
