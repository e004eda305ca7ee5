package projector

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Tx is the read-write view of a projection's store that Apply works in,
// for one batch. Reads see the store as committed plus the batch's own
// writes; the writes reach the store in one atomic commit with the last
// applied sequence. A read error is recorded (Err) and ends the batch as a
// transient failure.
//
// A Tx is used by one goroutine and only during Apply. Slices returned by
// Get are valid until the batch ends and must not be modified.
type Tx struct {
	db      pebble.Reader
	cache   *valueCache      // nil: none
	wb      *pebble.Batch    // the store batch the writes go into at flush
	pending map[string]write // bucket 0 key -> write
	// blind holds the blind writes' keys and values, blindOps where each is.
	blind    []byte
	blindOps []blindOp
	memo     map[string]any // bucket 0 key -> decoded value
	// open holds the entry-list chunks the batch is filling (entries.go),
	// by bucket 0x01 prefix.
	open    map[string]*chunk
	scratch []byte
	// Keys are built in these buffers rather than allocated, one buffer
	// per method that holds its key while calling another (Decoded
	// calls Get).
	getKey, writeKey, decodedKey []byte
	err                          error
}

// keyIn builds the store key of key in bucket in *buf and returns it,
// valid until *buf is used again.
func keyIn(buf *[]byte, bucket, key []byte) []byte {
	*buf = append(append(append((*buf)[:0], bucket...), 0), key...)
	return *buf
}

type write struct {
	value  []byte
	del    bool
	deltas []int64 // an Add: value is unused
}

// newTx starts a batch on db; sizeHint is how many keys the last batch
// wrote, to size the pending writes once rather than growing them.
func newTx(db *pebble.DB, cache *valueCache, sizeHint int) *Tx {
	t := &Tx{
		db: db, cache: cache, wb: db.NewBatch(),
		pending: make(map[string]write, sizeHint), memo: map[string]any{},
	}
	if cache != nil && cache.blindBytes > 0 { // sized like the last batch's
		t.blind = make([]byte, 0, cache.blindBytes)
		t.blindOps = make([]blindOp, 0, cache.blindOps)
	}
	return t
}

// close discards the batch if it was not committed.
func (t *Tx) close() { _ = t.wb.Close() }

// Err is the first read error of the batch.
func (t *Tx) Err() error { return t.err }

func checkBucket(bucket []byte) error {
	if len(bucket) == 0 || bytes.IndexByte(bucket, 0) >= 0 || bytes.IndexByte(bucket, entrySep) >= 0 {
		return fmt.Errorf("projector: bucket name %q: empty or with a 0x00 or 0x01 byte", bucket)
	}
	return nil
}

// Get returns the value of key in bucket, nil when there is none.
func (t *Tx) Get(bucket, key []byte) []byte {
	k := keyIn(&t.getKey, bucket, key)
	w, pending := t.pending[string(k)]
	switch {
	case pending && w.deltas != nil: // additions on what is stored
		return addCounters(t.stored(k), w.deltas)
	case pending && w.del:
		return nil
	case pending:
		return w.value
	}
	return t.stored(k)
}

// stored reads k as committed, through the cache.
func (t *Tx) stored(k []byte) []byte {
	if t.err != nil {
		return nil
	}
	if t.cache != nil {
		if e, ok := t.cache.get(k); ok {
			return e.value
		}
	}
	v, err := get(t.db, k)
	if err != nil {
		t.err = err
		return nil
	}
	if t.cache != nil {
		t.cache.put(string(k), v, v == nil)
	}
	return v
}

// Put sets key in bucket to a copy of value.
func (t *Tx) Put(bucket, key, value []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	t.set(keyIn(&t.writeKey, bucket, key), write{value: bytes.Clone(value)})
	return nil
}

// PutBlind sets key in bucket to value for keys the batch never reads
// back, such as index entries: it is appended to a buffer, skipping the
// bookkeeping that lets Get see the batch's writes. A Get in
// the same batch does not see it (later batches do), and blind writes take
// effect before the batch's other writes: a key is written either blind or
// not in a batch, or deleted after a blind write.
func (t *Tx) PutBlind(bucket, key, value []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	t.blindSet(keyIn(&t.writeKey, bucket, key), value)
	return nil
}

// blindSet adds a blind write of k (a whole store key) to the batch.
func (t *Tx) blindSet(k, value []byte) {
	start := len(t.blind)
	t.blind = append(t.blind, k...)
	split := len(t.blind)
	t.blind = append(t.blind, value...)
	t.blindOps = append(t.blindOps, blindOp{start: start, split: split, end: len(t.blind)})
	// Keep no stale copy: were the key ever read through a Tx, a later
	// batch would otherwise see the old value.
	if t.cache != nil {
		t.cache.forget(k)
	}
	if len(t.memo) > 0 {
		delete(t.memo, string(k))
	}
}

// blindOp is a blind write in Tx.blind: key [start, split), value [split, end).
type blindOp struct{ start, split, end int }

// Add adds deltas to the counters of key in bucket (see Counter), without
// reading them.
func (t *Tx) Add(bucket, key []byte, deltas ...int64) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	k := keyIn(&t.writeKey, bucket, key)
	w, ok := t.pending[string(k)]
	switch {
	case !ok:
		w = write{deltas: append([]int64(nil), deltas...)}
	case w.deltas != nil:
		w.deltas = sumInto(w.deltas, deltas)
	case w.del:
		w = write{value: encodeCounters(deltas)}
	default:
		w.value = addCounters(w.value, deltas)
	}
	t.set(k, w)
	return nil
}

func sumInto(a, b []int64) []int64 {
	for i, x := range b {
		if i == len(a) {
			a = append(a, 0)
		}
		a[i] += x
	}
	return a
}

// Delete removes key from bucket.
func (t *Tx) Delete(bucket, key []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	t.set(keyIn(&t.writeKey, bucket, key), write{del: true})
	return nil
}

func (t *Tx) set(k []byte, w write) {
	t.pending[string(k)] = w
	if len(t.memo) > 0 {
		delete(t.memo, string(k))
	}
}

// Decoded returns decode(Get(bucket, key)), decoding a key once until it is
// written again, across batches: a projection that needs the same member or
// policy for every event decodes it once. A key must always be decoded by
// the same function. Callers must not modify what it returns. A missing key
// is passed to decode as nil. decode must not use the Tx.
func (t *Tx) Decoded(bucket, key []byte, decode func([]byte) (any, error)) (any, error) {
	k := keyIn(&t.decodedKey, bucket, key)
	if v, ok := t.memo[string(k)]; ok {
		return v, nil
	}
	_, pending := t.pending[string(k)]
	if !pending && t.cache != nil {
		if e, ok := t.cache.get(k); ok && e.decoded != nil {
			return e.decoded, nil
		}
	}
	v, err := decode(t.Get(bucket, key))
	if err != nil {
		return nil, err
	}
	if pending || t.cache == nil {
		t.memo[string(k)] = v
	} else {
		t.cache.setDecoded(k, v) // Get just cached the value
	}
	return v, nil
}

// flush adds the batch's pending writes to its store batch, after the
// blind ones, in key order: Pebble inserts a batch into its memtable (a
// skiplist) in batch order, remembering where the last insert landed, so
// keys in order are found in a few steps instead of from the top.
func (t *Tx) flush() error {
	t.closeChunks()
	// Of two blind writes of one key, the later must stay later: equal
	// keys sort by position, which is cheaper than a stable sort.
	slices.SortFunc(t.blindOps, func(a, b blindOp) int {
		if c := bytes.Compare(t.blind[a.start:a.split], t.blind[b.start:b.split]); c != 0 {
			return c
		}
		return a.start - b.start
	})
	for _, op := range t.blindOps {
		d := t.wb.SetDeferred(op.split-op.start, op.end-op.split)
		copy(d.Key, t.blind[op.start:op.split])
		copy(d.Value, t.blind[op.split:op.end])
		if err := d.Finish(); err != nil {
			return fmt.Errorf("projector: write %q: %w", t.blind[op.start:op.split], err)
		}
	}
	keys := make([]string, 0, len(t.pending))
	for k := range t.pending {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w := t.pending[k]
		var err error
		switch {
		case w.del:
			err = t.wb.Delete([]byte(k), nil)
		case w.deltas != nil:
			err = t.wb.Merge([]byte(k), encodeCounters(w.deltas), nil)
		default:
			op := t.wb.SetDeferred(len(k), len(w.value))
			copy(op.Key, k)
			copy(op.Value, w.value)
			err = op.Finish()
		}
		if err != nil {
			return fmt.Errorf("projector: write %q: %w", k, err)
		}
	}
	return nil
}

// committed brings the cache up to date with the batch's writes, once they
// are in the store. Only keys already cached are updated: what a projection
// writes and never reads back would only push out what it does read.
func (t *Tx) committed() {
	if t.cache == nil {
		return
	}
	for k, w := range t.pending {
		e, ok := t.cache.get([]byte(k))
		switch {
		case !ok:
		case w.deltas != nil:
			t.cache.put(k, addCounters(e.value, w.deltas), false)
		default:
			t.cache.put(k, w.value, w.del)
		}
	}
}
