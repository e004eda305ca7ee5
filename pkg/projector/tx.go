package projector

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Tx is the read-write view of a projection's store that Apply works in,
// for one batch. Reads see the batch's own writes; the writes reach the
// store, in key order, when the batch commits, in the same bbolt
// transaction as the last applied sequence.
//
// Why buffer: bbolt reads a page into memory and writes it back for every
// put that lands on it. A batch's puts in arrival order hop between pages
// (one feed per member, one counter per member and period); sorted, each
// page is read and written once per batch. Catching up, that is most of a
// projection's cost.
//
// A Tx is used by one goroutine and only during Apply. Slices returned by
// Get are valid until the batch ends and must not be modified.
type Tx struct {
	tx      *bolt.Tx
	pending map[string]map[string]write // bucket -> key -> write
	memo    map[string]any              // bucket 0 key -> decoded value
}

type write struct {
	value []byte
	del   bool
}

func newTx(tx *bolt.Tx) *Tx {
	return &Tx{tx: tx, pending: map[string]map[string]write{}, memo: map[string]any{}}
}

// Get returns the value of key in bucket, nil when there is none.
func (t *Tx) Get(bucket, key []byte) []byte {
	if w, ok := t.pending[string(bucket)][string(key)]; ok {
		if w.del {
			return nil
		}
		return w.value
	}
	if b := t.tx.Bucket(bucket); b != nil {
		return b.Get(key)
	}
	return nil
}

// Put sets key in bucket to a copy of value.
func (t *Tx) Put(bucket, key, value []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("projector: put in %s: empty key", bucket)
	}
	t.set(bucket, key, write{value: bytes.Clone(value)})
	return nil
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

func memoKey(bucket, key []byte) string {
	k := make([]byte, 0, len(bucket)+1+len(key))
	k = append(append(append(k, bucket...), 0), key...)
	return string(k)
}

// flush writes the batch's writes to the store, bucket by bucket, in key
// order.
func (t *Tx) flush() error {
	names := make([]string, 0, len(t.pending))
	for name := range t.pending {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b := t.tx.Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("projector: no bucket %q", name)
		}
		kv := t.pending[name]
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var err error
			if w := kv[k]; w.del {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), w.value)
			}
			if err != nil {
				return fmt.Errorf("projector: write %s: %w", name, err)
			}
		}
	}
	return nil
}
