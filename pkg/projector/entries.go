package projector

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// Entry lists: ordered lists of small values by stream sequence under a
// prefix, such as a feed's index (one list per feed, one entry per kudos).
// A projection appends to them (Tx.AppendEntry) and reads them newest first
// (Reader.DescendEntries); it never reads them back while applying.
//
// Stored one key per entry, a list costs a store key per entry, and a
// catch-up of a feed writes several per kudos: keys are most of what an LSM
// tree spends its time on (memtable inserts, flushes, compactions). So the
// entries a batch appends under one prefix are packed into chunks:
//
//	<bucket> 0x01 <prefix> <first seq, 8 bytes big-endian> ->
//	    { uvarint(seq - first seq) uvarint(len(value)) value }...
//
// A chunk holds at most maxChunkEntries entries (more only when they all
// have one sequence), in sequence order, and
// every entry of a chunk comes before the first of the next chunk under the
// prefix. A batch never adds to an older batch's chunk: the keys are new,
// written without being read. How a stream's entries fall into chunks
// depends on how it was batched; what a Reader shows does not (Buckets
// lists each entry as if it had its own key).

// entrySep ends a bucket name in the key of a chunk (0x00 for the keys of
// Put, Add and Delete).
const entrySep = 0x01

// maxChunkEntries bounds the entries of a chunk, so that reading the newest
// entry of a list never decodes more than this many.
const maxChunkEntries = 256

// chunk is a chunk being filled by a batch.
type chunk struct {
	first, last uint64
	n           int
	buf         []byte
}

// AppendEntry appends value, at stream sequence seq, to the entry list
// prefix of bucket. Within a list, seq must not go down. No list's prefix
// may start with another's (end each with a separator, as projector.Key's
// trailing "" does).
func (t *Tx) AppendEntry(bucket, prefix []byte, seq uint64, value []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	t.scratch = append(append(append(t.scratch[:0], bucket...), entrySep), prefix...)
	c := t.open[string(t.scratch)]
	switch {
	case c != nil && seq < c.last:
		return fmt.Errorf("projector: entry list %q: sequence %d after %d", prefix, seq, c.last)
	case c != nil && c.n >= maxChunkEntries && seq > c.last:
		// A chunk full of one sequence grows on: the next chunk's key, its
		// first sequence, must differ from this one's.
		t.closeChunk(string(t.scratch), c)
		c.first, c.n, c.buf = seq, 0, c.buf[:0]
	}
	if c == nil {
		if t.open == nil {
			t.open = map[string]*chunk{}
		}
		c = &chunk{first: seq}
		t.open[string(t.scratch)] = c
	}
	c.buf = binary.AppendUvarint(c.buf, seq-c.first)
	c.buf = binary.AppendUvarint(c.buf, uint64(len(value)))
	c.buf = append(c.buf, value...)
	c.last = seq
	c.n++
	return nil
}

// closeChunk copies a chunk to the batch's blind writes, as the key of
// list id (bucket 0x01 prefix).
func (t *Tx) closeChunk(id string, c *chunk) {
	t.scratch = binary.BigEndian.AppendUint64(append(t.scratch[:0], id...), c.first)
	t.blindSet(t.scratch, c.buf)
}

// closeChunks closes every open chunk before the batch is flushed.
func (t *Tx) closeChunks() {
	for id, c := range t.open {
		t.closeChunk(id, c)
	}
	t.open = nil
}

// DescendEntries calls fn with the entries of list prefix in bucket whose
// sequence is below before (all of them when before is 0), newest first,
// until fn returns false. value is valid only during the call.
func (rd *Reader) DescendEntries(bucket, prefix []byte, before uint64, fn func(seq uint64, value []byte) bool) {
	if before == 0 {
		before = math.MaxUint64
	}
	lower := append(append(append([]byte{}, bucket...), entrySep), prefix...)
	upper := binary.BigEndian.AppendUint64(bytes.Clone(lower), before)
	var offs []int // reused across chunks
	rd.iterate(lower, upper, true, func(k, v []byte) bool {
		first := binary.BigEndian.Uint64(k[len(k)-8:])
		offs = offs[:0]
		for i := 0; i < len(v); {
			_, n1 := binary.Uvarint(v[i:])
			l, n2 := binary.Uvarint(v[i+max(n1, 0):])
			if n1 <= 0 || n2 <= 0 || uint64(len(v)-i-n1-n2) < l {
				rd.fail(fmt.Errorf("projector: entry list %q: corrupt chunk at %d", prefix, first))
				return false
			}
			offs = append(offs, i)
			i += n1 + n2 + int(l)
		}
		for j := len(offs) - 1; j >= 0; j-- {
			d, n1 := binary.Uvarint(v[offs[j]:])
			l, n2 := binary.Uvarint(v[offs[j]+n1:])
			if seq := first + d; seq < before {
				start := offs[j] + n1 + n2
				if !fn(seq, v[start:start+int(l)]) {
					return false
				}
			}
		}
		return true
	})
}

// entries calls fn with each entry of a chunk (the part of its key after
// the bucket and the chunk's value), as prefix+seq and value, in order.
func entries(key, v []byte, fn func(key, value []byte) bool) error {
	if len(key) < 8 {
		return fmt.Errorf("projector: entry chunk key %q too short", key)
	}
	prefix, first := key[:len(key)-8], binary.BigEndian.Uint64(key[len(key)-8:])
	for i := 0; i < len(v); {
		d, n1 := binary.Uvarint(v[i:])
		l, n2 := binary.Uvarint(v[i+max(n1, 0):])
		if n1 <= 0 || n2 <= 0 || uint64(len(v)-i-n1-n2) < l {
			return fmt.Errorf("projector: entry list %q: corrupt chunk at %d", prefix, first)
		}
		start := i + n1 + n2
		if !fn(binary.BigEndian.AppendUint64(bytes.Clone(prefix), first+d), v[start:start+int(l)]) {
			return nil
		}
		i = start + int(l)
	}
	return nil
}
