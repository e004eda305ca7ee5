package projector

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

var bTest = []byte("test")

func testDB(t *testing.T) *pebble.DB {
	t.Helper()
	db, err := openStore(filepath.Join(t.TempDir(), "t.pebble"), layoutProjection{1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Set(bucketKey(bTest, []byte("stored")), []byte("s"), pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	return db
}

func dump(t *testing.T, db *pebble.DB, bucket []byte) string {
	t.Helper()
	rd := &Reader{r: db}
	var kv []string
	rd.Ascend(bucket, nil, func(k, v []byte) bool {
		kv = append(kv, string(k)+"="+string(v))
		return true
	})
	if rd.err != nil {
		t.Fatal(rd.err)
	}
	return strings.Join(kv, " ")
}

// TestTxBuffersWrites: reads see the batch's own writes and deletes, the
// store sees none of them before the commit and all of them after.
func TestTxBuffersWrites(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	tx := newTx(db, newReadCache())
	defer tx.close()
	for i := 9; i >= 0; i-- {
		if err := tx.Put(bTest, []byte("k"+strconv.Itoa(i)), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Delete(bTest, []byte("stored")); err != nil {
		t.Fatal(err)
	}
	val := []byte("reused")
	if err := tx.Put(bTest, []byte("copy"), val); err != nil {
		t.Fatal(err)
	}
	copy(val, "XXXXXX") // Put keeps its own copy
	if got := string(tx.Get(bTest, []byte("k3"))); got != "3" {
		t.Errorf("Get k3 = %q, want the batch's own write", got)
	}
	if got := tx.Get(bTest, []byte("stored")); got != nil {
		t.Errorf("Get of a key deleted in the batch = %q", got)
	}
	if got := string(tx.Get(bTest, []byte("copy"))); got != "reused" {
		t.Errorf("Get copy = %q, want the value as it was put", got)
	}
	if got := dump(t, db, bTest); got != "stored=s" {
		t.Errorf("before the commit the store holds %s", got)
	}
	if err := tx.Put([]byte("bad\x00bucket"), []byte("k"), []byte("v")); err == nil {
		t.Error("Put into a bucket named with a 0 byte succeeded")
	}
	if err := AddCounters(tx, bTest, []byte("n"), 2, 5); err != nil {
		t.Fatal(err)
	}
	if err := AddCounters(tx, bTest, []byte("n"), 1, -1); err != nil {
		t.Fatal(err)
	}
	if got := tx.Get(bTest, []byte("n")); Counter(got, 0) != 3 || Counter(got, 1) != 4 {
		t.Errorf("Get of added counters = %v, %v; want 3, 4", Counter(got, 0), Counter(got, 1))
	}
	// A scan sees the batch's writes made after the previous scan.
	count := func() (n int) {
		tx.Ascend(bTest, []byte("k"), func(_, _ []byte) bool { n++; return true })
		return n
	}
	if n := count(); n != 10 {
		t.Errorf("scan of the batch's k keys found %d, want 10", n)
	}
	_ = tx.Put(bTest, []byte("k10"), []byte("10"))
	if n := count(); n != 11 {
		t.Errorf("scan after a write found %d, want 11", n)
	}
	_ = tx.Delete(bTest, []byte("k10"))
	if err := tx.commit(); err != nil {
		t.Fatal(err)
	}
	if tx.Err() != nil {
		t.Fatal(tx.Err())
	}
	want := "copy=reused k0=0 k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9 n=\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04"
	if got := dump(t, db, bTest); got != want {
		t.Errorf("store holds %q, want %q", got, want)
	}
}

// TestReaderScans: Ascend and Descend stay within their bucket and prefix,
// and Descend starts below its bound.
func TestReaderScans(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	for _, k := range []string{"a\x001", "a\x002", "a\x003", "a\xff", "b\x001"} {
		if err := db.Set(bucketKey([]byte("s"), []byte(k)), []byte(k[len(k)-1:]), pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Set(bucketKey([]byte("sx"), []byte("a\x009")), []byte("other bucket"), pebble.NoSync)
	rd := &Reader{r: db}
	collect := func(scan func(fn func(k, v []byte) bool)) string {
		var out []string
		scan(func(k, v []byte) bool { out = append(out, strconv.Quote(string(k))); return true })
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"ascend a", collect(func(fn func(k, v []byte) bool) { rd.Ascend([]byte("s"), []byte("a\x00"), fn) }), `"a\x001" "a\x002" "a\x003"`},
		{"descend a", collect(func(fn func(k, v []byte) bool) { rd.Descend([]byte("s"), []byte("a\x00"), nil, fn) }), `"a\x003" "a\x002" "a\x001"`},
		{"descend a before 3", collect(func(fn func(k, v []byte) bool) { rd.Descend([]byte("s"), []byte("a\x00"), []byte("a\x003"), fn) }), `"a\x002" "a\x001"`},
		{"ascend bucket", collect(func(fn func(k, v []byte) bool) { rd.Ascend([]byte("s"), nil, fn) }), `"a\x001" "a\x002" "a\x003" "a\xff" "b\x001"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	// A scan inside a scan, as a feed page reads reactions inside its
	// scan of the index, leaves the outer one where it was.
	var nested []string
	rd.Descend([]byte("s"), []byte("a\x00"), nil, func(k, _ []byte) bool {
		inner := 0
		rd.Ascend([]byte("s"), []byte("b\x00"), func(_, _ []byte) bool { inner++; return true })
		nested = append(nested, strconv.Quote(string(k))+"/"+strconv.Itoa(inner))
		return true
	})
	if got, want := strings.Join(nested, " "), `"a\x003"/1 "a\x002"/1 "a\x001"/1`; got != want {
		t.Errorf("nested scans: %s, want %s", got, want)
	}
	rd.close()
	if rd.err != nil {
		t.Error(rd.err)
	}
}

// TestTxReadCacheFollowsCommits: a key read (and so cached) in one batch
// and written in the next reads as written in the batches after, whether
// set or deleted, and the cache never serves a write that did not commit.
func TestTxReadCacheFollowsCommits(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	reads := newReadCache()
	batch := func(fn func(tx *Tx), commit bool) {
		t.Helper()
		tx := newTx(db, reads)
		defer tx.close()
		fn(tx)
		if tx.Err() != nil {
			t.Fatal(tx.Err())
		}
		if commit {
			if err := tx.commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	k := []byte("k")
	get := func() (v []byte) {
		batch(func(tx *Tx) { v = tx.Get(bTest, k) }, false)
		return v
	}
	if v := get(); v != nil {
		t.Fatalf("k = %q before any write", v)
	}
	batch(func(tx *Tx) { _ = tx.Put(bTest, k, []byte("one")) }, true)
	if v := get(); string(v) != "one" {
		t.Errorf("after a committed put, k = %q, want one", v)
	}
	batch(func(tx *Tx) { _ = tx.Put(bTest, k, []byte("rolled back")) }, false)
	if v := get(); string(v) != "one" {
		t.Errorf("after a put that did not commit, k = %q, want one", v)
	}
	batch(func(tx *Tx) { _ = tx.Delete(bTest, k) }, true)
	if v := get(); v != nil {
		t.Errorf("after a committed delete, k = %q, want none", v)
	}
	if v := (&Reader{r: db}).Get(bTest, k); v != nil {
		t.Errorf("the store holds k = %q after its delete", v)
	}
}

// TestCountersAddedUnreadMerge: counters added by batches that never read
// them are summed by the store, with those a batch read and wrote.
func TestCountersAddedUnreadMerge(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	reads := newReadCache()
	k := []byte("n")
	for i, read := range []bool{false, false, true, false} {
		tx := newTx(db, reads)
		if read {
			if got := tx.Get(bTest, k); Counter(got, 0) != int64(i) || Counter(got, 1) != -int64(i) {
				t.Fatalf("batch %d reads %d, %d; want %d, %d", i, Counter(got, 0), Counter(got, 1), i, -i)
			}
		}
		if err := AddCounters(tx, bTest, k, 1, -1); err != nil {
			t.Fatal(err)
		}
		if err := tx.commit(); err != nil {
			t.Fatal(err)
		}
		tx.close()
	}
	tx := newTx(db, newReadCache())
	defer tx.close()
	if got := tx.Get(bTest, k); Counter(got, 0) != 4 || Counter(got, 1) != -4 {
		t.Errorf("after four additions: %d, %d; want 4, -4", Counter(got, 0), Counter(got, 1))
	}
}
