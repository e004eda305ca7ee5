package projector

// valueCache keeps recently read and written values of one store, so that
// the keys a projection updates again and again (a member's counters, a
// policy, the members bucket) are read from memory rather than from
// Pebble, where a read costs microseconds: a lookup per level, and for a
// key not there yet, a miss on every level. It also remembers keys known to
// be absent.
//
// Only the runner's goroutine uses it, and only the runner writes the
// store: entries are added when a batch reads the store and updated with
// the batch's writes after its commit, so the cache never holds what the
// store does not. Eviction is first in, first out, by bytes.
type valueCache struct {
	// batchWrites is how many keys the last batch on this store wrote (not
	// blind): the next one's pending writes are sized by it.
	batchWrites int
	// blindBytes and blindOps size the next batch's blind writes likewise.
	blindBytes, blindOps int

	max, size int
	entries   map[string]cached
	order     []string // insertion order; head is the oldest
	head      int
}

type cached struct {
	value  []byte // nil: the key is absent
	absent bool
	// decoded is what Tx.Decoded made of value, nil until it is asked for.
	decoded any
}

// entryOverhead approximates a cache entry's memory beyond its key and value.
const entryOverhead = 64

func newValueCache(maxBytes int) *valueCache {
	return &valueCache{max: maxBytes, entries: map[string]cached{}}
}

func (c *valueCache) get(key []byte) (cached, bool) {
	e, ok := c.entries[string(key)]
	return e, ok
}

// setDecoded records what value of key decodes to, if key is cached.
func (c *valueCache) setDecoded(key []byte, v any) {
	if e, ok := c.entries[string(key)]; ok {
		e.decoded = v
		c.entries[string(key)] = e
	}
}

// forget drops key, whose value changed without the cache seeing it.
func (c *valueCache) forget(key []byte) {
	if e, ok := c.entries[string(key)]; ok {
		c.size -= len(key) + len(e.value) + entryOverhead
		delete(c.entries, string(key))
	}
}

// put records the value of key (absent when del).
func (c *valueCache) put(key string, value []byte, absent bool) {
	if old, ok := c.entries[key]; ok {
		c.size += len(value) - len(old.value)
		c.entries[key] = cached{value: value, absent: absent}
		return
	}
	c.entries[key] = cached{value: value, absent: absent}
	c.order = append(c.order, key)
	c.size += len(key) + len(value) + entryOverhead
	for c.size > c.max && c.head < len(c.order) {
		old := c.order[c.head]
		c.order[c.head] = ""
		c.head++
		if e, ok := c.entries[old]; ok {
			c.size -= len(old) + len(e.value) + entryOverhead
			delete(c.entries, old)
		}
	}
	if c.head > len(c.order)/2 && c.head > 1024 {
		c.order = append([]string(nil), c.order[c.head:]...)
		c.head = 0
	}
}
