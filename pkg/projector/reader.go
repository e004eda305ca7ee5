package projector

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Reader reads a projection's committed store: a consistent snapshot for the
// length of a View. Its methods record the first read error, which View
// returns; after one, they find nothing. A Reader is used by one goroutine.
type Reader struct {
	r    pebble.Reader
	seq  uint64
	all  []*pebble.Iterator // every iterator the View opened
	free []*pebble.Iterator // those no scan is using
	// ranged holds AscendRange's iterators, one per bucket, bounded to it.
	ranged map[string]*pebble.Iterator
	// fresh makes every scan open an iterator of its own and close it
	// after: a Tx's batch changes between scans, and an iterator sees the
	// batch as it was when it was opened.
	fresh bool
	err   error
}

// Seq is a stream sequence the snapshot has applied: the runner's last
// applied sequence when the View began, read before the snapshot was taken,
// so the snapshot may have applied more. A read-side cache can tell by it
// whether what it read may be older than a change it has heard of.
func (rd *Reader) Seq() uint64 { return rd.seq }

// Err is the Reader's first read error.
func (rd *Reader) Err() error { return rd.err }

// close releases the Reader's iterators.
func (rd *Reader) close() {
	for _, it := range rd.all {
		if err := it.Close(); err != nil && rd.err == nil {
			rd.err = err
		}
	}
	rd.all, rd.free, rd.ranged = nil, nil, nil
}

// Get returns the value of key in bucket, nil when there is none.
func (rd *Reader) Get(bucket, key []byte) []byte {
	if rd.err != nil {
		return nil
	}
	v, err := get(rd.r, bucketKey(bucket, key))
	if err != nil {
		rd.err = err
	}
	return v
}

// Ascend calls fn with the keys of bucket that start with prefix, and their
// values, in ascending order, until fn returns false. key and value are
// valid only during the call.
func (rd *Reader) Ascend(bucket, prefix []byte, fn func(key, value []byte) bool) {
	rd.scan(bucket, prefix, nil, false, fn)
}

// AscendRange calls fn with the keys of bucket from from (included) to to
// (excluded), and their values, in ascending order, until fn returns false.
// key and value are valid only during the call. It keeps one iterator per
// bucket for the View: a run of calls on one bucket with ranges in
// ascending order (a team's members, say) moves it forward instead of
// searching the store from the top for each.
func (rd *Reader) AscendRange(bucket, from, to []byte, fn func(key, value []byte) bool) {
	if rd.err != nil {
		return
	}
	if rd.fresh { // a Tx: a plain scan, whose iterator sees the batch as it is
		rd.iterate(bucketKey(bucket, from), bucketKey(bucket, to), false, func(k, v []byte) bool { return fn(k[len(bucket)+1:], v) })
		return
	}
	it := rd.ranged[string(bucket)]
	if it == nil {
		lower := bucketKey(bucket, nil)
		var err error
		if it, err = rd.r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)}); err != nil {
			rd.err = err
			return
		}
		if rd.ranged == nil {
			rd.ranged = map[string]*pebble.Iterator{}
		}
		rd.ranged[string(bucket)] = it
		rd.all = append(rd.all, it)
	}
	end := bucketKey(bucket, to)
	skip := len(bucket) + 1
	for valid := it.SeekGE(bucketKey(bucket, from)); valid && bytes.Compare(it.Key(), end) < 0; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			rd.fail(err)
			return
		}
		if !fn(it.Key()[skip:], v) {
			break
		}
	}
	if err := it.Error(); err != nil {
		rd.fail(err)
	}
}

// Descend calls fn with the keys of bucket that start with prefix and sort
// before before (all of them when before is nil), and their values, in
// descending order, until fn returns false. key and value are valid only
// during the call.
func (rd *Reader) Descend(bucket, prefix, before []byte, fn func(key, value []byte) bool) {
	rd.scan(bucket, prefix, before, true, fn)
}

func (rd *Reader) scan(bucket, prefix, before []byte, reverse bool, fn func(key, value []byte) bool) {
	lower := bucketKey(bucket, prefix)
	upper := prefixEnd(lower)
	if before != nil {
		if b := bucketKey(bucket, before); upper == nil || bytes.Compare(b, upper) < 0 {
			upper = b
		}
	}
	skip := len(bucket) + 1
	rd.iterate(lower, upper, reverse, func(k, v []byte) bool { return fn(k[skip:], v) })
}

// iterate calls fn with the store keys in [lower, upper) and their values,
// in ascending or descending order, until fn returns false.
func (rd *Reader) iterate(lower, upper []byte, reverse bool, fn func(key, value []byte) bool) {
	if rd.err != nil {
		return
	}
	// Iterators are reused by the scans of a View (a feed page scans the
	// reactions of each of its items, inside its scan of the index):
	// creating one costs more than re-bounding it.
	var it *pebble.Iterator
	switch n := len(rd.free); {
	case rd.fresh:
		var err error
		if it, err = rd.r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper}); err != nil {
			rd.err = err
			return
		}
		defer func() { rd.fail(it.Close()) }()
	case n > 0:
		it, rd.free = rd.free[n-1], rd.free[:n-1]
		it.SetBounds(lower, upper)
		defer func() { rd.free = append(rd.free, it) }()
	default:
		var err error
		if it, err = rd.r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper}); err != nil {
			rd.err = err
			return
		}
		rd.all = append(rd.all, it)
		defer func() { rd.free = append(rd.free, it) }()
	}
	var valid bool
	step := it.Next
	if reverse {
		step, valid = it.Prev, it.Last()
	} else {
		valid = it.First()
	}
	for ; valid; valid = step() {
		v, err := it.ValueAndErr()
		if err != nil {
			rd.fail(err)
			break
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	if err := it.Error(); err != nil {
		rd.fail(err)
	}
}

// fail records err unless an error is recorded already (or err is nil).
func (rd *Reader) fail(err error) {
	if rd.err == nil {
		rd.err = err
	}
}

// prefixEnd is the first key after every key that starts with p, nil when
// there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Buckets calls fn with every key of every bucket, the runtime's own
// included, in order, until fn returns false: a whole model, for comparing
// two.
func (rd *Reader) Buckets(fn func(bucket, key, value []byte) bool) {
	rd.iterate(nil, nil, false, func(k, v []byte) bool {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			rd.fail(fmt.Errorf("projector: store key %q outside any bucket", k))
			return false
		}
		return fn(k[:i], k[i+1:], v)
	})
}
