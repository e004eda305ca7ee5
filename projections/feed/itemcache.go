package feed

import "sync"

// itemCache keeps decoded items for the read side. An item never changes
// once given (its reactions are counted apart), and a rebuild derives the
// very same items; only a retraction ends one. The projection, applying a
// retraction, drops the item (retract) before the store commits it, and
// from then on keeps out what readers read from snapshots older than the
// retraction (by Reader.Seq): a reader finds an item in the cache only if
// its snapshot holds it, without a store read to check. It saves a feed
// page a store read and a decode per item. Eviction is first in, first
// out, by count.
type itemCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*Item // tenant 0 kudos id
	order []string
	head  int
	// retracted is the sequence of the newest retraction dropped: items
	// read from snapshots before it are not kept.
	retracted uint64
}

// itemCacheSize bounds the cached items: about 0.5 KiB each.
const itemCacheSize = 100_000

func newItemCache(max int) *itemCache {
	return &itemCache{max: max, items: map[string]*Item{}}
}

func (c *itemCache) get(k string) (*Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	return it, ok
}

// put keeps it, read from a snapshot that has applied seq (Reader.Seq).
func (c *itemCache) put(k string, it *Item, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok || seq < c.retracted {
		return
	}
	c.items[k] = it
	c.order = append(c.order, k)
	for len(c.items) > c.max {
		delete(c.items, c.order[c.head])
		c.order[c.head] = ""
		c.head++
	}
	if c.head > 1024 && c.head > len(c.order)/2 {
		c.order = append([]string(nil), c.order[c.head:]...)
		c.head = 0
	}
}

// retract drops the item k, retracted at sequence seq. The slot it held in
// the eviction order is freed when its turn comes.
func (c *itemCache) retract(k string, seq uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, k)
	c.retracted = max(c.retracted, seq)
}

// lookup and store are get and put on a cache that may be nil.
func (c *itemCache) lookup(k string) (*Item, bool) {
	if c == nil {
		return nil, false
	}
	return c.get(k)
}

func (c *itemCache) store(k string, it *Item, seq uint64) {
	if c != nil {
		c.put(k, it, seq)
	}
}
