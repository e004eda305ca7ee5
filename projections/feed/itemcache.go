package feed

import "sync"

// itemCache keeps decoded items, with their reaction counts, for the read
// side. An item never changes once given; only a retraction ends it and a
// reaction changes its counts. The projection, applying a retraction or a
// reaction, drops the item (retract, react) before the store commits it,
// and from then on keeps out what readers read from snapshots older than
// the change (by Reader.Seq): a reader finds an item in the cache only if
// its snapshot holds it as cached, without a store read to check. It saves
// a feed page a store read, a decode and a scan of the reactions per item.
// Eviction is first in, first out, by count.
type itemCache struct {
	mu    sync.Mutex
	max   int
	items map[string]cached // tenant 0 kudos id
	order []string
	head  int
	// retracted is the sequence of the newest retraction dropped: items
	// read from snapshots before it are not kept.
	retracted uint64
	// reacted is, per item, the sequence of the newest reaction dropped:
	// the item is not kept from snapshots before it. When it holds
	// maxReacted items it is emptied and reactedFloor, the newest of its
	// sequences, stands for all of them.
	reacted      map[string]uint64
	reactedFloor uint64
	maxReacted   int
}

// cached is an item and the sequence its snapshot had applied when it was
// read (Reader.Seq): it is the item as any snapshot from then on holds it.
type cached struct {
	item *Item
	seq  uint64
}

// itemCacheSize bounds the cached items: about 0.5 KiB each.
const itemCacheSize = 100_000

func newItemCache(max int) *itemCache {
	return &itemCache{max: max, items: map[string]cached{}, reacted: map[string]uint64{}, maxReacted: max}
}

// get returns the item k as a reader whose snapshot has applied seq sees it.
func (c *itemCache) get(k string, seq uint64) (*Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok || e.seq > seq { // cached from a newer snapshot: its reactions may be newer too
		return nil, false
	}
	return e.item, true
}

// put keeps it, read from a snapshot that has applied seq (Reader.Seq).
func (c *itemCache) put(k string, it *Item, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok || seq < c.retracted || seq < c.reactedFloor || seq < c.reacted[k] {
		return
	}
	c.items[k] = cached{it, seq}
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

// react drops the item k, whose reactions changed at sequence seq.
func (c *itemCache) react(k string, seq uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, k)
	if len(c.reacted) >= c.maxReacted {
		for _, s := range c.reacted {
			c.reactedFloor = max(c.reactedFloor, s)
		}
		clear(c.reacted)
	}
	c.reacted[k] = max(c.reacted[k], seq)
}

// lookup and store are get and put on a cache that may be nil.
func (c *itemCache) lookup(k string, seq uint64) (*Item, bool) {
	if c == nil {
		return nil, false
	}
	return c.get(k, seq)
}

func (c *itemCache) store(k string, it *Item, seq uint64) {
	if c != nil {
		c.put(k, it, seq)
	}
}
