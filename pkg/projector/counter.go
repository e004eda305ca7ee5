package projector

import "encoding/binary"

// Counters are values of n big-endian int64s: a projection's sums (points,
// counts) under one key, read and written together.

// Counter reads counter i of a counters value (0 when absent).
func Counter(value []byte, i int) int64 {
	if len(value) < 8*(i+1) {
		return 0
	}
	return int64(binary.BigEndian.Uint64(value[8*i:]))
}

// AddCounters adds deltas to the counters of key in bucket.
func AddCounters(t *Tx, bucket, key []byte, deltas ...int64) error {
	old := t.Get(bucket, key)
	n := max(len(old)/8, len(deltas))
	v := make([]byte, 0, 8*n)
	for i := range n {
		x := Counter(old, i)
		if i < len(deltas) {
			x += deltas[i]
		}
		v = binary.BigEndian.AppendUint64(v, uint64(x))
	}
	return t.Put(bucket, key, v)
}
