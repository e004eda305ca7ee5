package projector

import (
	"encoding/binary"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Counters are values of n big-endian int64s that Tx.Add changes by adding
// to each, without reading them: the store merges the additions (Pebble's
// merge operator), so a projection that only counts never reads the
// counters it writes. A catch-up creates most of its counters (one per
// member and period), and reading a key that is not there yet is the
// costliest read an LSM tree has.

// counterMerger is the merge operator of every projection store. Its name is
// recorded in the store; renaming it makes old stores unreadable (and so
// rebuilt).
var counterMerger = &pebble.Merger{
	Name: "plaudit.counters.v1",
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		s := &counterSum{}
		return s, s.add(value)
	},
}

type counterSum struct{ v []int64 }

// add sums b into s. Bytes past the last whole int64 are ignored, as
// Tx.Get ignores them: a value that is not a counter must not make every
// read and compaction of its key fail.
func (s *counterSum) add(b []byte) error {
	for i := 0; i < len(b)/8; i++ {
		if i == len(s.v) {
			s.v = append(s.v, 0)
		}
		s.v[i] += int64(binary.BigEndian.Uint64(b[8*i:]))
	}
	return nil
}

func (s *counterSum) MergeNewer(value []byte) error { return s.add(value) }
func (s *counterSum) MergeOlder(value []byte) error { return s.add(value) }
func (s *counterSum) Finish(bool) ([]byte, io.Closer, error) {
	return encodeCounters(s.v), nil, nil
}

func encodeCounters(v []int64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint64(b, uint64(x))
	}
	return b
}

// addCounters returns the counters in value with deltas added.
func addCounters(value []byte, deltas []int64) []byte {
	s := &counterSum{}
	_ = s.add(value[:len(value)/8*8])
	_ = s.add(encodeCounters(deltas))
	return encodeCounters(s.v)
}

// Counter reads counter i of a value written with Tx.Add (0 when absent).
func Counter(value []byte, i int) int64 {
	if len(value) < 8*(i+1) {
		return 0
	}
	return int64(binary.BigEndian.Uint64(value[8*i:]))
}
