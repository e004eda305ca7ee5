package projector

// readCache keeps values of a store as committed, by store key, for the
// Tx reads of the batches that follow: a projection reads the same few keys
// again and again (a member, a policy, a team), and a read through Pebble
// costs microseconds (it searches the memtables and every level), a map
// lookup far less.
// BenchmarkAllowance, BenchmarkDensity and BenchmarkFeed (catchup) pay for
// it.
//
// Only the runner's goroutine uses it, and only the runner writes the
// store: a value is added when a Tx reads it from the store, and a key a
// batch wrote is updated once the batch commits, so the cache never holds
// what the store does not. It is emptied with the store (a rebuild's swap,
// a store found stale). Eviction is first in, first out, by bytes.
type readCache struct {
	max, size int
	values    map[string][]byte // nil: the key is absent
	order     []string          // insertion order; order[head] is the oldest
	head      int
}

// readCacheBytes bounds a store's read cache: Go heap, one per store, and
// the garbage collector lets garbage grow in proportion to it.
const readCacheBytes = 8 << 20

// entryOverhead approximates an entry's memory beyond its key and value.
const entryOverhead = 64

func newReadCache() *readCache {
	return &readCache{max: readCacheBytes, values: map[string][]byte{}}
}

func (c *readCache) get(k []byte) ([]byte, bool) {
	v, ok := c.values[string(k)]
	return v, ok
}

// put records the committed value of k (v nil: absent).
func (c *readCache) put(k string, v []byte) {
	if old, ok := c.values[k]; ok {
		c.size += len(v) - len(old)
		c.values[k] = v
		return
	}
	c.values[k] = v
	c.order = append(c.order, k)
	c.size += len(k) + len(v) + entryOverhead
	for c.size > c.max && c.head < len(c.order) {
		old := c.order[c.head]
		c.order[c.head] = ""
		c.head++
		if e, ok := c.values[old]; ok {
			c.size -= len(old) + len(e) + entryOverhead
			delete(c.values, old)
		}
	}
	if c.head > len(c.order)/2 && c.head > 1024 {
		c.order = append([]string(nil), c.order[c.head:]...)
		c.head = 0
	}
}

// committed updates the keys a batch wrote (v nil: deleted) that the cache
// holds; what a projection writes and never reads back stays out, where it
// would only push out what it does read.
func (c *readCache) committed(writes map[string][]byte) {
	for k, v := range writes {
		if _, ok := c.values[k]; ok {
			c.put(k, v)
		}
	}
}
