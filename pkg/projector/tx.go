package projector

import (
	"bytes"
	"fmt"

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
	cache   *valueCache                 // nil: none
	pending map[string]map[string]write // bucket -> key -> write
	memo    map[string]any              // bucket 0 key -> decoded value
	err     error
}

type write struct {
	value  []byte
	del    bool
	deltas []int64 // an Add: value is unused
}

func newTx(db pebble.Reader, cache *valueCache) *Tx {
	return &Tx{db: db, cache: cache, pending: map[string]map[string]write{}, memo: map[string]any{}}
}

// Err is the first read error of the batch.
func (t *Tx) Err() error { return t.err }

// Get returns the value of key in bucket, nil when there is none.
func (t *Tx) Get(bucket, key []byte) []byte {
	w, pending := t.pending[string(bucket)][string(key)]
	if pending && w.deltas == nil {
		if w.del {
			return nil
		}
		return w.value
	}
	if pending { // additions on what is stored
		return addCounters(t.stored(bucket, key), w.deltas)
	}
	return t.stored(bucket, key)
}

// stored reads key as committed, through the cache.
func (t *Tx) stored(bucket, key []byte) []byte {
	if t.err != nil {
		return nil
	}
	k := bucketKey(bucket, key)
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
	if len(bucket) == 0 || bytes.IndexByte(bucket, 0) >= 0 {
		return fmt.Errorf("projector: bucket name %q: empty or with a 0 byte", bucket)
	}
	t.set(bucket, key, write{value: bytes.Clone(value)})
	return nil
}

// Add adds deltas to the counters of key in bucket (see Counter), without
// reading them.
func (t *Tx) Add(bucket, key []byte, deltas ...int64) error {
	if len(bucket) == 0 || bytes.IndexByte(bucket, 0) >= 0 {
		return fmt.Errorf("projector: bucket name %q: empty or with a 0 byte", bucket)
	}
	w, ok := t.pending[string(bucket)][string(key)]
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
	t.set(bucket, key, w)
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
	t.set(bucket, key, write{del: true})
	return nil
}

func (t *Tx) set(bucket, key []byte, w write) {
	kv := t.pending[string(bucket)]
	if kv == nil {
		kv = map[string]write{}
		t.pending[string(bucket)] = kv
	}
	kv[string(key)] = w
	if len(t.memo) > 0 {
		delete(t.memo, memoKey(bucket, key))
	}
}

// Decoded returns decode(Get(bucket, key)), decoding each key at most once
// per batch until it is written again: a projection that needs the same
// member or policy for every event decodes it once. Callers must not modify
// what it returns. A missing key is passed to decode as nil.
func (t *Tx) Decoded(bucket, key []byte, decode func([]byte) (any, error)) (any, error) {
	mk := memoKey(bucket, key)
	if v, ok := t.memo[mk]; ok {
		return v, nil
	}
	v, err := decode(t.Get(bucket, key))
	if err != nil {
		return nil, err
	}
	t.memo[mk] = v
	return v, nil
}

func memoKey(bucket, key []byte) string { return string(bucketKey(bucket, key)) }

// flush adds the batch's writes to b.
func (t *Tx) flush(b *pebble.Batch) error {
	for bucket, kv := range t.pending {
		for k, w := range kv {
			key := bucketKey([]byte(bucket), []byte(k))
			var err error
			switch {
			case w.del:
				err = b.Delete(key, nil)
			case w.deltas != nil:
				err = b.Merge(key, encodeCounters(w.deltas), nil)
			default:
				err = b.Set(key, w.value, nil)
			}
			if err != nil {
				return fmt.Errorf("projector: write %s: %w", bucket, err)
			}
		}
	}
	return nil
}

// committed brings the cache up to date with the batch's writes, once they
// are in the store. Only keys already cached are updated: what a projection
// writes and never reads back (a feed's index entries) would only push out
// what it does read.
func (t *Tx) committed() {
	if t.cache == nil {
		return
	}
	for bucket, kv := range t.pending {
		for k, w := range kv {
			key := bucketKey([]byte(bucket), []byte(k))
			e, ok := t.cache.get(key)
			switch {
			case !ok:
			case w.deltas != nil:
				t.cache.put(string(key), addCounters(e.value, w.deltas), false)
			default:
				t.cache.put(string(key), w.value, w.del)
			}
		}
	}
}
