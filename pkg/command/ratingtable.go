package command

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ratingTable keeps the rating index's entries: an interaction's events by
// sequence.
type ratingTable interface {
	get(k ratingKey) (ratingEntry, bool, error)
	put(k ratingKey, e ratingEntry) error
}

// ratingMem keeps the entries in a map, fixed-size and free of pointers,
// for as long as the process runs: it grows with the rated interactions.
type ratingMem map[ratingKey]ratingEntry

func (t ratingMem) get(k ratingKey) (ratingEntry, bool, error) {
	e, ok := t[k]
	return e, ok, nil
}

func (t ratingMem) put(k ratingKey, e ratingEntry) error {
	t[k] = e
	return nil
}

// ratingDisk keeps the entries of one rating index in the write side's
// index database (indexDB), under ratingPrefix and a namespace of the
// index's own (indexDB.namespace): the numbers of tenants and platforms in
// its keys are that index's. A key is ratingPrefix, the namespace, the
// tenant and platform's number (4 bytes each, big-endian) and the
// interaction's digest; a value is the entry's three sequences, 8 bytes
// each.
type ratingDisk struct {
	db *indexDB
	ns uint32
}

const ratingPrefix = 'r'

func (t ratingDisk) key(k ratingKey) []byte {
	b := append(make([]byte, 0, 1+4+4+len(k.key)), ratingPrefix)
	b = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(b, t.ns), k.tp)
	return append(b, k.key[:]...)
}

func (t ratingDisk) get(k ratingKey) (ratingEntry, bool, error) {
	var e ratingEntry
	found, err := t.db.get(t.key(k), func(v []byte) error {
		if len(v) != 24 {
			return fmt.Errorf("rating index: entry of %x is %d bytes", k.key, len(v))
		}
		e = ratingEntry{first: binary.BigEndian.Uint64(v), version: binary.BigEndian.Uint64(v[8:]), last: binary.BigEndian.Uint64(v[16:])}
		return nil
	})
	return e, found && err == nil, err
}

func (t ratingDisk) put(k ratingKey, e ratingEntry) error {
	v := make([]byte, 0, 24)
	v = binary.BigEndian.AppendUint64(v, e.first)
	v = binary.BigEndian.AppendUint64(v, e.version)
	v = binary.BigEndian.AppendUint64(v, e.last)
	// Not synced: the index is a cache of the stream (indexDB).
	return t.db.use(func(db *pebble.DB) error { return db.Set(t.key(k), v, pebble.NoSync) })
}
