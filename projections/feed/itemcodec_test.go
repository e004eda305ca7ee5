package feed

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestItemCodecRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []Item{
		{ID: "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Seq: 1 << 40, Time: time.Date(2026, 11, 30, 9, 15, 0, 123e6, time.UTC),
			Giver: "ana", Recipients: []string{"bo", "cy"}, Message: "Thanks — for the \"calm\" call 🎉", Values: []string{"ownership", "kindness"},
			Points: 3, Visibility: "private", Channel: "chat", Teams: []string{"support-emea", "sales"}},
		{ID: "x", Seq: 1, Time: time.Unix(0, 0).UTC(), Giver: "g", Recipients: []string{"r"}, Values: []string{}, Points: 1},
	}
	for _, want := range tests {
		got, err := decodeItem(encodeItem(want))
		if err != nil {
			t.Fatalf("decode %+v: %v", want, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

// FuzzDecodeItem: any bytes decode to an item that encodes back to them, or
// to errCorruptItem; nothing panics.
func FuzzDecodeItem(f *testing.F) {
	f.Add(encodeItem(Item{ID: "a", Seq: 7, Giver: "g", Recipients: []string{"r"}, Values: []string{"v"}, Points: 2}))
	f.Add([]byte{itemVersion})
	f.Add([]byte{itemVersion, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(b)
		if err != nil {
			if err != errCorruptItem {
				t.Fatalf("error %v, want errCorruptItem", err)
			}
			return
		}
		again, err := decodeItem(encodeItem(it))
		if err != nil || !reflect.DeepEqual(again, it) {
			t.Fatalf("re-encoded item decodes to %+v, %v; want %+v", again, err, it)
		}
	})
}

func TestIndexRefReadsBackTheID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", // canonical: 17 bytes
		"0195A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", // upper case: kept as it is
		"{0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}",
		"0195a1b2c3d47e5f8a9b0c1d2e3f4a5b",
		"not-a-uuid", "", "exactly-17-bytes!",
	} {
		ref := indexRef(id)
		if got := refID(ref); got != id {
			t.Errorf("refID(indexRef(%q)) = %q", id, got)
		}
		if id == "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" && len(ref) != 17 {
			t.Errorf("a canonical UUID takes %d bytes, want 17", len(ref))
		}
	}
}

func TestIndexEntries(t *testing.T) {
	t.Parallel()
	ref := indexRef("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprint("v", i)
	}
	for _, values := range [][]string{nil, {"kindness"}, {"kindness", "ownership", "craft"}, many[:noTags-1], many[:noTags], many} {
		gotRef, tags, all, ok := splitEntry(appendEntry(nil, ref, values))
		if !ok || !bytes.Equal(gotRef, ref) {
			t.Fatalf("%d values: split gives ref %x, ok %v; want %x", len(values), gotRef, ok, ref)
		}
		if all != (len(values) >= noTags) {
			t.Errorf("%d values: all = %v", len(values), all)
		}
		if all {
			continue
		}
		if len(tags) != 4*len(values) {
			t.Errorf("%d values: %d bytes of tags", len(values), len(tags))
		}
		for _, v := range values {
			if !hasTag(tags, valueTag(v)) {
				t.Errorf("%d values: no tag for %q", len(values), v)
			}
		}
		if hasTag(tags, valueTag("curiosity")) {
			t.Errorf("%d values: a tag for curiosity", len(values))
		}
	}
	// An id that is not a UUID is kept whole, whatever its bytes.
	if gotRef, _, _, ok := splitEntry(appendEntry(nil, []byte("kudos\x02"), []string{"a", "b"})); !ok || string(gotRef) != "kudos\x02" {
		t.Errorf("a plain id splits to %q, %v", gotRef, ok)
	}
	for _, bad := range [][]byte{nil, {1}, {'x', 1}, append(bytes.Repeat([]byte{0}, 8), 2)} {
		if _, _, _, ok := splitEntry(bad); ok {
			t.Errorf("corrupt entry %x splits", bad)
		}
	}
}
