package projector

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Tx is the read-write view of a projection's store that Apply works in,
// for one batch of events. Its reads (Get, Ascend, AscendRange, Descend)
// see the store as committed plus the batch's own writes; the writes reach
// the store in one atomic commit together with the last applied stream
// sequence. A read error is recorded (Err) and ends the batch as a
// transient failure.
//
// The writes are kept by key until the commit, which writes them in key
// order: Pebble inserts a batch into its memtable (a skiplist) in batch
// order, remembering where the last insert landed, so keys in order cost a
// few steps each instead of a search from the top. A point read looks at
// them first, then at the store through its read cache. A scan reads an
// indexed copy of them over the store, made on the batch's first scan.
// BenchmarkFeed, BenchmarkAllowance and BenchmarkDensity (catchup) pay for
// this.
//
// A Tx is used by one goroutine and only during Apply. Slices its reads
// return must not be modified, and are valid until the next write.
type Tx struct {
	Reader // scans: over the store, or view once there is one
	db     *pebble.DB
	// writes are the batch's writes by store key (nil: deleted); reads
	// holds values as committed (nil: no cache).
	writes map[string][]byte
	reads  *readCache
	// adds are the additions to counters the batch has not read
	// (AddCounters), by store key: the store merges them into the key.
	adds map[string][]byte
	// view is an indexed batch holding writes, for scans; nil until the
	// batch's first scan, then kept up to date by every write.
	view *pebble.Batch
}

// newTx starts a batch on db, reading through reads (nil: none).
func newTx(db *pebble.DB, reads *readCache) *Tx {
	// A batch changes under a scan's iterator, so each scan opens its own.
	return &Tx{Reader: Reader{r: db, fresh: true}, db: db, writes: map[string][]byte{}, reads: reads, adds: map[string][]byte{}}
}

// close releases the batch's resources; what was not committed is lost.
func (t *Tx) close() {
	t.Reader.close()
	if t.view != nil {
		_ = t.view.Close()
	}
}

// checkBucket refuses a bucket name that would make keys ambiguous.
func checkBucket(bucket []byte) error {
	if len(bucket) == 0 || bytes.IndexByte(bucket, 0) >= 0 {
		return fmt.Errorf("projector: bucket name %q: empty or with a 0 byte", bucket)
	}
	return nil
}

// Get returns the value of key in bucket, nil when there is none: the
// batch's own write, else the value as committed.
func (t *Tx) Get(bucket, key []byte) []byte {
	if t.err != nil {
		return nil
	}
	k := bucketKey(bucket, key)
	if v, ok := t.writes[string(k)]; ok {
		return v
	}
	v := t.stored(k)
	if len(t.adds) == 0 {
		return v
	}
	if add, ok := t.adds[string(k)]; ok && t.err == nil {
		// Counters added to unread: read now, the additions become a write.
		delete(t.adds, string(k))
		v = addCounters(v, counters(add))
		if err := t.set(k, v); err != nil {
			t.fail(err)
			return nil
		}
	}
	return v
}

// stored reads store key k as committed, through the read cache.
func (t *Tx) stored(k []byte) []byte {
	if t.reads != nil {
		if v, ok := t.reads.get(k); ok {
			return v
		}
	}
	v, err := get(t.db, k) // the runner is the store's only writer
	if err != nil {
		t.fail(err)
		return nil
	}
	if t.reads != nil {
		t.reads.put(string(k), v)
	}
	return v
}

// Put sets key in bucket to value (copied).
func (t *Tx) Put(bucket, key, value []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return t.set(bucketKey(bucket, key), append([]byte{}, value...)) // never nil: nil is a delete
}

// Delete removes key from bucket.
func (t *Tx) Delete(bucket, key []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return t.set(bucketKey(bucket, key), nil)
}

// set records the write of store key k (v nil: a delete), which replaces
// any addition to it.
func (t *Tx) set(k, v []byte) error {
	if len(t.adds) > 0 {
		delete(t.adds, string(k))
	}
	t.writes[string(k)] = v
	if t.view != nil {
		return write(t.view, k, v)
	}
	return nil
}

func write(b *pebble.Batch, k, v []byte) error {
	if v == nil {
		return b.Delete(k, nil)
	}
	return b.Set(k, v, nil)
}

// Ascend is Reader.Ascend over the store and the batch's writes.
func (t *Tx) Ascend(bucket, prefix []byte, fn func(key, value []byte) bool) {
	if t.indexed() {
		t.Reader.Ascend(bucket, prefix, fn)
	}
}

// AscendRange is Reader.AscendRange over the store and the batch's writes.
func (t *Tx) AscendRange(bucket, from, to []byte, fn func(key, value []byte) bool) {
	if t.indexed() {
		t.Reader.AscendRange(bucket, from, to, fn)
	}
}

// Descend is Reader.Descend over the store and the batch's writes.
func (t *Tx) Descend(bucket, prefix, before []byte, fn func(key, value []byte) bool) {
	if t.indexed() {
		t.Reader.Descend(bucket, prefix, before, fn)
	}
}

// indexed makes the view scans read, if there is none yet; false when it
// cannot (the error is recorded).
func (t *Tx) indexed() bool {
	if t.view != nil || t.err != nil {
		return t.err == nil
	}
	t.view = t.db.NewIndexedBatch()
	for k, v := range t.writes {
		if err := write(t.view, []byte(k), v); err != nil {
			t.fail(err)
			return false
		}
	}
	for k, add := range t.adds {
		if err := t.view.Merge([]byte(k), add, nil); err != nil {
			t.fail(err)
			return false
		}
	}
	t.Reader.r = t.view
	return true
}

// commit writes the batch's writes, in key order, and commits them; then
// tells the read cache.
func (t *Tx) commit() error {
	keys := make([]string, 0, len(t.writes)+len(t.adds))
	for k := range t.writes {
		keys = append(keys, k)
	}
	for k := range t.adds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := t.db.NewBatch()
	defer b.Close()
	for _, k := range keys {
		var err error
		if add, ok := t.adds[k]; ok {
			err = b.Merge([]byte(k), add, nil)
		} else {
			err = write(b, []byte(k), t.writes[k])
		}
		if err != nil {
			return fmt.Errorf("projector: write %q: %w", k, err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	if t.reads != nil {
		// A key with additions was not read, so is not cached.
		t.reads.committed(t.writes)
	}
	return nil
}
