package command

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// ratingTable keeps the rating index's entries: an interaction's events by
// sequence, as parts that add (ratingEntry.add).
type ratingTable interface {
	// get returns the interaction's entry, resolved.
	get(k ratingKey) (ratingEntry, bool, error)
	// add adds part p to the interaction's entry.
	add(k ratingKey, p ratingEntry) error
}

// ratingMem keeps the entries in a map, fixed-size and free of pointers,
// for as long as the process runs: it grows with the rated interactions.
type ratingMem map[ratingKey]ratingEntry

func (t ratingMem) get(k ratingKey) (ratingEntry, bool, error) {
	e, ok := t[k].resolved()
	return e, ok, nil
}

func (t ratingMem) add(k ratingKey, p ratingEntry) error {
	t[k] = t[k].add(p)
	return nil
}

// ratingDisk keeps the entries of one rating index in the write side's
// index database (indexDB), under ratingPrefix and a namespace of the
// index's own (indexDB.namespace): the numbers of tenants and platforms in
// its keys are that index's. A key is ratingPrefix, the namespace, the
// tenant and platform's number (4 bytes each, big-endian) and the
// interaction's digest; a value is a part, or the sum of parts, of the
// entry: its three sequences, 8 bytes each. A part is written blind, with
// Pebble's merge operator (indexMerger), which adds the parts when the
// key is read or compacted.
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

func encodeEntry(e ratingEntry) []byte {
	v := make([]byte, 0, 24)
	v = binary.BigEndian.AppendUint64(v, e.first)
	v = binary.BigEndian.AppendUint64(v, e.version)
	return binary.BigEndian.AppendUint64(v, e.last)
}

func decodeEntry(v []byte) (ratingEntry, error) {
	if len(v) != 24 {
		return ratingEntry{}, fmt.Errorf("rating index: an entry of %d bytes", len(v))
	}
	return ratingEntry{first: binary.BigEndian.Uint64(v), version: binary.BigEndian.Uint64(v[8:]), last: binary.BigEndian.Uint64(v[16:])}, nil
}

func (t ratingDisk) get(k ratingKey) (ratingEntry, bool, error) {
	var sum ratingEntry
	found, err := t.db.get(t.key(k), func(v []byte) (err error) {
		sum, err = decodeEntry(v)
		return err
	})
	if !found || err != nil {
		return ratingEntry{}, false, err
	}
	e, ok := sum.resolved()
	return e, ok, nil
}

func (t ratingDisk) add(k ratingKey, p ratingEntry) error {
	return t.db.use(func(db *pebble.DB) error { return db.Merge(t.key(k), encodeEntry(p), pebble.NoSync) })
}

// indexMerger is the index database's merge operator: it adds the parts of
// a kudos entry (kudosPart.add) or of a rating entry (ratingEntry.add), by
// the key's prefix.
var indexMerger = &pebble.Merger{
	Name: "plaudit.write-index.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		if len(key) > 0 && key[0] == kudosPrefix {
			p, err := decodeKudosPart(value)
			return &kudosSum{p: p}, err
		}
		e, err := decodeEntry(value)
		return &entrySum{e: e}, err
	},
}

type entrySum struct{ e ratingEntry }

func (s *entrySum) MergeNewer(value []byte) error { return s.merge(value) }
func (s *entrySum) MergeOlder(value []byte) error { return s.merge(value) }

func (s *entrySum) merge(value []byte) error {
	p, err := decodeEntry(value)
	s.e = s.e.add(p)
	return err
}

func (s *entrySum) Finish(bool) ([]byte, io.Closer, error) { return encodeEntry(s.e), nil, nil }

type kudosSum struct{ p kudosPart }

func (s *kudosSum) MergeNewer(value []byte) error { return s.merge(value) }
func (s *kudosSum) MergeOlder(value []byte) error { return s.merge(value) }

func (s *kudosSum) merge(value []byte) error {
	p, err := decodeKudosPart(value)
	s.p = s.p.add(p)
	return err
}

func (s *kudosSum) Finish(bool) ([]byte, io.Closer, error) { return s.p.encode(), nil, nil }
