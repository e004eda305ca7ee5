package projector

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Tx is the read-write view of a projection's store that Apply works in,
// for one batch of events: a Pebble indexed batch. Its reads (Reader's
// Get, Ascend, AscendRange, Descend) see the store as committed plus the
// batch's own writes; the writes reach the store in one atomic commit
// together with the last applied stream sequence. A read error is recorded
// (Err) and ends the batch as a transient failure.
//
// A Tx is used by one goroutine and only during Apply. Slices its reads
// return are valid until the next write.
type Tx struct {
	Reader
	b *pebble.Batch
}

// newTx starts a batch on db.
func newTx(db *pebble.DB) *Tx {
	b := db.NewIndexedBatch()
	// A batch changes under its iterators, so each scan opens its own.
	return &Tx{Reader: Reader{r: b, fresh: true}, b: b}
}

// close discards the batch if it was not committed.
func (t *Tx) close() {
	t.Reader.close()
	_ = t.b.Close()
}

// checkBucket refuses a bucket name that would make keys ambiguous.
func checkBucket(bucket []byte) error {
	if len(bucket) == 0 || bytes.IndexByte(bucket, 0) >= 0 {
		return fmt.Errorf("projector: bucket name %q: empty or with a 0 byte", bucket)
	}
	return nil
}

// Put sets key in bucket to value (copied).
func (t *Tx) Put(bucket, key, value []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return t.b.Set(bucketKey(bucket, key), value, nil)
}

// Delete removes key from bucket.
func (t *Tx) Delete(bucket, key []byte) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return t.b.Delete(bucketKey(bucket, key), nil)
}
