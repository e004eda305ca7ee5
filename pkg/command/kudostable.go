package command

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
)

// kudosTable keeps the kudos index's entries: where each kudos is stored,
// and whether it was retracted.
type kudosTable interface {
	// write applies observed events in order. A kudos given that the
	// table holds already keeps its first place (a give stored again
	// after the duplicate window is not the kudos); a retraction marks
	// a kudos the table holds and not retracted yet.
	write(events []queuedKudos) error
	get(tenant string, id uuid.UUID) (kudosRef, bool, error)
}

// kudosMem keeps the entries in a map. Entries are fixed-size and free of
// pointers, so that a map of millions of kudos costs the garbage collector
// nothing to scan; tenants and givers are numbered. It costs roughly 80
// bytes of heap per kudos, for as long as the process runs.
type kudosMem struct {
	refs    map[kudosKey]kudosEntry
	names   []string          // tenants and givers by number
	numbers map[string]uint32 // and back
}

type kudosKey struct {
	tenant uint32
	id     uuid.UUID
}

type kudosEntry struct {
	giver      uint32
	seq        uint64
	retractSeq uint64 // 0 while the kudos stands
	retractID  uuid.UUID
}

func newKudosMem() *kudosMem {
	return &kudosMem{refs: map[kudosKey]kudosEntry{}, numbers: map[string]uint32{}}
}

// number returns name's number, assigning the next one to a new name.
func (t *kudosMem) number(name string) uint32 {
	if n, ok := t.numbers[name]; ok {
		return n
	}
	n := uint32(len(t.names))
	name = strings.Clone(name)
	t.names = append(t.names, name)
	t.numbers[name] = n
	return n
}

func (t *kudosMem) write(events []queuedKudos) error {
	for _, q := range events {
		k := kudosKey{tenant: t.number(q.tenant), id: q.id}
		e, ok := t.refs[k]
		switch {
		case !q.retraction && !ok:
			t.refs[k] = kudosEntry{giver: t.number(q.giver), seq: q.seq}
		case q.retraction && ok && e.retractSeq == 0:
			e.retractID, e.retractSeq = q.retractID, q.seq
			t.refs[k] = e
		}
	}
	return nil
}

func (t *kudosMem) get(tenant string, id uuid.UUID) (kudosRef, bool, error) {
	n, ok := t.numbers[tenant]
	if !ok {
		return kudosRef{}, false, nil
	}
	e, ok := t.refs[kudosKey{tenant: n, id: id}]
	if !ok {
		return kudosRef{}, false, nil
	}
	ref := kudosRef{giver: t.names[e.giver], seq: e.seq, retractSeq: e.retractSeq}
	if e.retractSeq != 0 {
		ref.retractID = e.retractID.String()
	}
	return ref, true, nil
}

// kudosDisk keeps the entries in the write side's index database
// (indexDB), under kudosPrefix.
//
// A key is kudosPrefix <tenant> 0x00 <kudos id, 16 bytes>; a value is the
// kudos' sequence, its retraction's sequence and id (zero while it
// stands), and its giver.
type kudosDisk struct{ db *indexDB }

const kudosPrefix = 'k'

func diskKey(tenant string, id uuid.UUID) []byte {
	k := make([]byte, 0, 1+len(tenant)+1+len(id))
	return append(append(append(append(k, kudosPrefix), tenant...), 0), id[:]...)
}

// A value: seq, retractSeq (8 bytes each, big-endian), retractID (16), giver.
const diskFixed = 8 + 8 + 16

func (t kudosDisk) write(events []queuedKudos) error {
	return t.db.use(func(db *pebble.DB) error { return writeKudos(db, events) })
}

func writeKudos(db *pebble.DB, events []queuedKudos) error {
	b := db.NewIndexedBatch()
	defer b.Close()
	for _, q := range events {
		k := diskKey(q.tenant, q.id)
		v, closer, err := b.Get(k)
		switch {
		case errors.Is(err, pebble.ErrNotFound):
			if !q.retraction {
				v := binary.BigEndian.AppendUint64(make([]byte, 0, diskFixed+len(q.giver)), q.seq)
				v = append(v, make([]byte, 8+16)...)
				if err := b.Set(k, append(v, q.giver...), nil); err != nil {
					return err
				}
			}
			continue
		case err != nil:
			return err
		}
		standing := len(v) >= diskFixed && binary.BigEndian.Uint64(v[8:16]) == 0
		if q.retraction && standing {
			nv := append([]byte(nil), v...)
			binary.BigEndian.PutUint64(nv[8:16], q.seq)
			copy(nv[16:32], q.retractID[:])
			closer.Close()
			if err := b.Set(k, nv, nil); err != nil {
				return err
			}
			continue
		}
		closer.Close()
	}
	// Not synced: the table is a cache of the stream, emptied when opened.
	return b.Commit(pebble.NoSync)
}

func (t kudosDisk) get(tenant string, id uuid.UUID) (kudosRef, bool, error) {
	var ref kudosRef
	found, err := t.db.get(diskKey(tenant, id), func(v []byte) error {
		if len(v) < diskFixed {
			return fmt.Errorf("kudos index: entry of %s is %d bytes", id, len(v))
		}
		ref = kudosRef{giver: string(v[diskFixed:]), seq: binary.BigEndian.Uint64(v[:8]), retractSeq: binary.BigEndian.Uint64(v[8:16])}
		if ref.retractSeq != 0 {
			ref.retractID = uuid.UUID(v[16:32]).String()
		}
		return nil
	})
	return ref, found && err == nil, err
}
