package feed

import "sync"

// itemCache keeps decoded items for the read side. An item never changes
// once given (its reactions are counted apart), so a cached item needs no
// invalidation, and a rebuild derives the very same items. Only a
// retraction ends an item, and a reader checks the snapshot's retraction
// mark for each item it takes from the cache (getItem). It saves a feed
// page a store read and a decode per item.
// Eviction is first in, first out, by count.
type itemCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*Item // tenant 0 kudos id
	order []string
	head  int
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

func (c *itemCache) put(k string, it *Item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
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

// lookup and store are get and put on a cache that may be nil.
func (c *itemCache) lookup(k string) (*Item, bool) {
	if c == nil {
		return nil, false
	}
	return c.get(k)
}

func (c *itemCache) store(k string, it *Item) {
	if c != nil {
		c.put(k, it)
	}
}
