package projector

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Counters are values of n big-endian int64s: a projection's sums (points,
// counts) under one key, read and written together.
//
// AddCounters does not read a counter the batch has not read: it records
// the additions, and the store sums them into the key when it is next read
// or compacted (Pebble's merge operator, counterMerger). A catch-up creates
// most of its counters (one per member and period), and a read of a key
// that is not there yet is the costliest read an LSM tree has:
// BenchmarkAllowance (catchup) pays for it.

// Counter reads counter i of a counters value (0 when absent).
func Counter(value []byte, i int) int64 {
	if len(value) < 8*(i+1) {
		return 0
	}
	return int64(binary.BigEndian.Uint64(value[8*i:]))
}

// AddCounters adds deltas to the counters of key in bucket.
func AddCounters(t *Tx, bucket, key []byte, deltas ...int64) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	k := bucketKey(bucket, key)
	v, known := t.writes[string(k)]
	if !known && t.reads != nil {
		v, known = t.reads.get(k)
	}
	if known { // read or written before: add to it
		return t.set(k, addCounters(v, deltas))
	}
	t.adds[string(k)] = addCounters(t.adds[string(k)], deltas)
	if t.view != nil {
		return t.view.Merge(k, addCounters(nil, deltas), nil)
	}
	return nil
}

// addCounters returns the counters of value with deltas added.
func addCounters(value []byte, deltas []int64) []byte {
	n := max(len(value)/8, len(deltas))
	v := make([]byte, 0, 8*n)
	for i := range n {
		x := Counter(value, i)
		if i < len(deltas) {
			x += deltas[i]
		}
		v = binary.BigEndian.AppendUint64(v, uint64(x))
	}
	return v
}

// counterMerger is the merge operator of every projection store: it sums
// counters. Its name is recorded in the store; a store recorded with
// another cannot be opened, and so is rebuilt.
var counterMerger = &pebble.Merger{
	Name: "plaudit.counters.v1",
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		// The store owns value: keep a copy.
		return &counterSum{v: bytes.Clone(value)}, nil
	},
}

type counterSum struct{ v []byte }

func (s *counterSum) MergeNewer(value []byte) error {
	s.v = addCounters(s.v, counters(value))
	return nil
}

func (s *counterSum) MergeOlder(value []byte) error { return s.MergeNewer(value) }

func (s *counterSum) Finish(bool) ([]byte, io.Closer, error) { return s.v, nil, nil }

// counters reads every counter of a counters value.
func counters(value []byte) []int64 {
	out := make([]int64, len(value)/8)
	for i := range out {
		out[i] = Counter(value, i)
	}
	return out
}
