package projector

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

type entry struct {
	list string
	seq  uint64
	val  string
}

// appendAll appends es to db's entry lists in batches of the given sizes
// (the last size repeats), committing each.
func appendAll(t *testing.T, db *pebble.DB, es []entry, sizes ...int) {
	t.Helper()
	for len(es) > 0 {
		n := min(sizes[0], len(es))
		if len(sizes) > 1 {
			sizes = sizes[1:]
		}
		tx := newTx(db, nil, 0)
		for _, e := range es[:n] {
			if err := tx.AppendEntry(bTest, []byte(e.list), e.seq, []byte(e.val)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.flush(); err != nil {
			t.Fatal(err)
		}
		if err := tx.wb.Commit(pebble.NoSync); err != nil {
			t.Fatal(err)
		}
		tx.close()
		es = es[n:]
	}
}

// workload is n entries over three lists, one list getting most of them so
// that its chunks fill up.
func entryWorkload(n int) []entry {
	rng := rand.New(rand.NewPCG(7, 9))
	var es []entry
	for seq := uint64(1); len(es) < n; seq++ {
		for _, l := range []string{"a\x00", "b\x00", "busy\x00"} {
			if l == "busy\x00" || rng.IntN(4) == 0 {
				es = append(es, entry{l, seq, fmt.Sprintf("v%d%s", seq, l[:1])})
			}
		}
	}
	return es
}

func descend(t *testing.T, db *pebble.DB, list string, before uint64) []entry {
	t.Helper()
	rd := &Reader{r: db}
	defer rd.close()
	var got []entry
	rd.DescendEntries(bTest, []byte(list), before, func(seq uint64, v []byte) bool {
		got = append(got, entry{list, seq, string(v)})
		return true
	})
	if rd.err != nil {
		t.Fatal(rd.err)
	}
	return got
}

func logical(t *testing.T, db *pebble.DB) []string {
	t.Helper()
	rd := &Reader{r: db}
	var out []string
	rd.Buckets(func(b, k, v []byte) bool {
		if string(b) == string(bTest) {
			out = append(out, fmt.Sprintf("%q=%q", k, v))
		}
		return true
	})
	if rd.err != nil {
		t.Fatal(rd.err)
	}
	return out
}

// TestEntryLists: whatever the batches, every list reads back newest first
// and complete, from any position, and a store shows the same entries
// (Buckets) however its batches packed them into chunks.
func TestEntryLists(t *testing.T) {
	t.Parallel()
	es := entryWorkload(3000)
	one, small := testDB(t), testDB(t)
	appendAll(t, one, es, len(es))   // a catch-up: one batch, chunks split at maxChunkEntries
	appendAll(t, small, es, 1, 2, 7) // live: small batches
	for _, list := range []string{"a\x00", "b\x00", "busy\x00"} {
		var want []entry
		for _, e := range es {
			if e.list == list {
				want = append(want, e)
			}
		}
		slices.Reverse(want)
		for name, db := range map[string]*pebble.DB{"one batch": one, "small batches": small} {
			if got := descend(t, db, list, 0); !slices.Equal(got, want) {
				t.Fatalf("%s: list %q: %d entries, want %d; first %v", name, list, len(got), len(want), got[:min(3, len(got))])
			}
			// From the middle on, as a cursor would: strictly older entries.
			mid := want[len(want)/2].seq
			if got := descend(t, db, list, mid); !slices.Equal(got, want[len(want)/2+1:]) {
				t.Errorf("%s: list %q before %d: %d entries, want %d", name, list, mid, len(got), len(want)-len(want)/2-1)
			}
		}
	}
	if a, b := logical(t, one), logical(t, small); !slices.Equal(a, b) {
		t.Errorf("the same entries show differently: %d against %d keys", len(a), len(b))
	}
	if got := len(logical(t, one)); got != len(es)+1 { // and the key "stored"
		t.Errorf("Buckets shows %d keys, want %d", got, len(es)+1)
	}
	// The busy list's chunks of the single batch are full ones.
	rd := &Reader{r: one}
	chunks := 0
	rd.iterate([]byte("test\x01busy\x00"), []byte("test\x01busy\x01"), false, func(k, v []byte) bool {
		chunks++
		return true
	})
	if want := (3000*4/6 + maxChunkEntries - 1) / maxChunkEntries; chunks < want-1 || chunks > want+1 {
		t.Errorf("the busy list is in %d chunks, want about %d", chunks, want)
	}
}

// TestEntryListOrder: a sequence going down in a list is refused; equal
// sequences and other lists are fine; bucket names cannot hide the
// separator.
func TestEntryListOrder(t *testing.T) {
	t.Parallel()
	tx := newTx(testDB(t), nil, 0)
	defer tx.close()
	for _, e := range []entry{{"l", 5, "x"}, {"l", 5, "y"}, {"m", 1, "z"}} {
		if err := tx.AppendEntry(bTest, []byte(e.list), e.seq, []byte(e.val)); err != nil {
			t.Errorf("append %v: %v", e, err)
		}
	}
	if err := tx.AppendEntry(bTest, []byte("l"), 4, nil); err == nil {
		t.Error("a sequence going down was appended")
	}
	if err := tx.AppendEntry([]byte("bad\x01bucket"), []byte("l"), 9, nil); err == nil {
		t.Error("a bucket named with a 0x01 byte was accepted")
	}
}

// TestEntryListCorrupt: a damaged chunk is a read error, not a panic or a
// silent stop.
func TestEntryListCorrupt(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	k := binary.BigEndian.AppendUint64([]byte("test\x01l\x00"), 1)
	if err := db.Set(k, []byte{0x01, 0x09, 'a'}, pebble.NoSync); err != nil { // says 9 bytes, holds 1
		t.Fatal(err)
	}
	rd := &Reader{r: db}
	defer rd.close()
	rd.DescendEntries(bTest, []byte("l\x00"), 0, func(uint64, []byte) bool { return true })
	if rd.err == nil {
		t.Error("DescendEntries read a corrupt chunk without an error")
	}
	rd2 := &Reader{r: db}
	rd2.Buckets(func(_, _, _ []byte) bool { return true })
	if rd2.err == nil {
		t.Error("Buckets read a corrupt chunk without an error")
	}
}

// TestEntryListOneSequence: more entries with one sequence than a chunk
// holds stay in one chunk, so that no two chunks share a key and none is
// lost.
func TestEntryListOneSequence(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	var es []entry
	for i := range 2*maxChunkEntries + 10 {
		es = append(es, entry{"l\x00", 7, fmt.Sprint(i)})
	}
	es = append(es, entry{"l\x00", 8, "after"})
	appendAll(t, db, es, len(es))
	if got := descend(t, db, "l\x00", 0); len(got) != len(es) || got[0].val != "after" {
		t.Errorf("%d entries read back, want %d", len(got), len(es))
	}
}
