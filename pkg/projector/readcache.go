package projector

import "sync"

// ReadCache keeps what a projection's read side derived from its store (a
// decoded feed item, a member's recent moments) by key, for the readers
// that come after, so that they need not read and decode it again.
//
// It stays right without a store read to check, as long as the projection
// tells it of every change: Apply calls Changed(key, Event.Seq) for each key
// whose derived value the event changes, before the batch commits. That
// drops the entry and, from then on, keeps out values read from snapshots
// older than the change. Readers pass the Reader.Seq of their snapshot: Put
// keeps a value only if no change after that sequence was heard of, and Get
// serves a value only to readers whose snapshot is at least as new as the
// one it was read from. Eviction is first in, first out, by count.
//
// While nobody reads (catching up, say) the cache does not remember which
// keys changed, only the newest change: the first values read after that
// are kept once the store has committed it.
//
// A nil *ReadCache keeps nothing. Values are shared between readers: they
// must not be modified once put.
type ReadCache[V any] struct {
	mu      sync.RWMutex // Get reads under RLock
	max     int
	entries map[string]readEntry[V]
	// order is the entries' insertion order, head the oldest. A slot whose
	// entry was dropped or put again since is stale: passed over, and
	// cleared out once stale slots outnumber the entries.
	order []slot
	head  int
	slots uint64 // slots made so far: the next one's number
	// changed is, per key, the sequence of the newest change heard of.
	// When it holds max keys it is emptied, and floor, the newest of their
	// sequences, stands for all of them.
	changed map[string]uint64
	floor   uint64
	// missed is the newest Reader.Seq a Get missed at (watched: there was
	// one): while changes come within unwatched of it, Changed remembers
	// each key; before the first miss and past that, only the newest
	// change's sequence, in floor.
	missed  uint64
	watched bool
}

// unwatched is how many events after the last read that missed the cache
// keep Changed remembering keys.
const unwatched = 100_000

type readEntry[V any] struct {
	v    V
	seq  uint64 // the Reader.Seq of the snapshot v was read from
	slot uint64 // its slot in order
}

type slot struct {
	k string
	n uint64
}

// live reports whether s is the slot of an entry kept.
func (c *ReadCache[V]) live(s slot) bool {
	e, ok := c.entries[s.k]
	return ok && e.slot == s.n
}

// NewReadCache makes a ReadCache of at most max entries.
func NewReadCache[V any](max int) *ReadCache[V] {
	return &ReadCache[V]{max: max, entries: map[string]readEntry[V]{}, changed: map[string]uint64{}}
}

// Get returns the value of k for a reader whose snapshot has applied seq.
// (k is a byte slice so that a hit costs no allocation.)
func (c *ReadCache[V]) Get(k []byte, seq uint64) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.entries[string(k)]
	c.mu.RUnlock()
	if ok && e.seq <= seq {
		return e.v, true
	}
	// Missed, or read from a newer snapshot, which may hold changes this
	// one does not. (A change heard of meanwhile, while not yet watched,
	// only raises the floor: it keeps more out, never lets more in.)
	c.mu.Lock()
	c.missed, c.watched = max(c.missed, seq), true
	c.mu.Unlock()
	return zero, false
}

// Put keeps v as the value of k, read from a snapshot that has applied seq,
// unless a change to k after seq was heard of. It replaces a value of k
// read from a snapshot no newer (one read over a wider range, say).
func (c *ReadCache[V]) Put(k string, v V, seq uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq < c.floor || seq < c.changed[k] {
		return
	}
	if e, ok := c.entries[k]; ok {
		if e.seq <= seq {
			c.entries[k] = readEntry[V]{v, seq, e.slot}
		}
		return
	}
	c.slots++
	c.entries[k] = readEntry[V]{v, seq, c.slots}
	c.order = append(c.order, slot{k, c.slots})
	for len(c.entries) > c.max {
		if s := c.order[c.head]; c.live(s) {
			delete(c.entries, s.k)
		}
		c.order[c.head] = slot{}
		c.head++
	}
	if len(c.order)-c.head > 2*len(c.entries)+1024 {
		kept := make([]slot, 0, 2*len(c.entries)+1024)
		for _, s := range c.order[c.head:] {
			if c.live(s) {
				kept = append(kept, s)
			}
		}
		c.order, c.head = kept, 0
	}
}

// Keep is Put of v, read by rd: nothing is kept from a Reader that failed
// a read, since what it found may be wrong.
func (c *ReadCache[V]) Keep(rd *Reader, k string, v V) {
	if rd.Err() == nil {
		c.Put(k, v, rd.Seq())
	}
}

// Changed drops k, changed by the event at seq.
func (c *ReadCache[V]) Changed(k []byte, seq uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 0 {
		delete(c.entries, string(k))
	}
	if !c.watched || seq > c.missed+unwatched { // nobody has read for a while
		c.floor = max(c.floor, seq)
		return
	}
	if len(c.changed) >= c.max {
		for _, s := range c.changed {
			c.floor = max(c.floor, s)
		}
		clear(c.changed)
	}
	if s, ok := c.changed[string(k)]; !ok || s < seq {
		c.changed[string(k)] = seq
	}
}

// Reset drops every entry and every change heard of: for a store emptied
// and filled again from sequence 1 (Resetter), whose sequences say nothing
// of the values read before.
func (c *ReadCache[V]) Reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	clear(c.changed)
	c.order, c.head = nil, 0
	c.floor, c.missed, c.watched = 0, 0, false
}
