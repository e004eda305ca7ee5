package command

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
)

// kudosTable keeps the kudos index's entries: where each kudos is stored,
// and whether it was retracted. An entry is made of the kudos' events in
// any order: the least sequence of a kudos given is the kudos (a give
// stored again after the duplicate window is not), and the least of its
// retractions the retraction; a kudos with no event given has no entry.
// So a table records an event without reading the entry first.
type kudosTable interface {
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
		e := t.refs[k]
		switch {
		case !q.retraction && (e.seq == 0 || q.seq < e.seq):
			e.giver, e.seq = t.number(q.giver), q.seq
		case q.retraction && (e.retractSeq == 0 || q.seq < e.retractSeq):
			e.retractID, e.retractSeq = q.retractID, q.seq
		}
		t.refs[k] = e
	}
	return nil
}

func (t *kudosMem) get(tenant string, id uuid.UUID) (kudosRef, bool, error) {
	n, ok := t.numbers[tenant]
	if !ok {
		return kudosRef{}, false, nil
	}
	e := t.refs[kudosKey{tenant: n, id: id}]
	if e.seq == 0 {
		return kudosRef{}, false, nil
	}
	ref := kudosRef{giver: t.names[e.giver], seq: e.seq, retractSeq: e.retractSeq}
	if e.retractSeq != 0 {
		ref.retractID = e.retractID.String()
	}
	return ref, true, nil
}

// kudosDisk keeps the entries in the write side's index database
// (indexDB), under kudosPrefix. An event is written blind, as a part of its
// entry, with Pebble's merge operator (indexMerger), which makes the entry
// of the parts when the key is read or compacted.
//
// A key is kudosPrefix <tenant> 0x00 <kudos id, 16 bytes>; a value is the
// kudos' sequence and giver (zero and empty in a retraction's part), and
// its retraction's sequence and id (zero in a given's part, and while the
// kudos stands).
type kudosDisk struct{ db *indexDB }

const kudosPrefix = 'k'

func diskKey(tenant string, id uuid.UUID) []byte {
	k := make([]byte, 0, 1+len(tenant)+1+len(id))
	return append(append(append(append(k, kudosPrefix), tenant...), 0), id[:]...)
}

// kudosPart is an entry, or a part of one, as kudosDisk stores it.
type kudosPart struct {
	seq, retractSeq uint64
	retractID       uuid.UUID
	giver           string
}

// A value: seq, retractSeq (8 bytes each, big-endian), retractID (16), giver.
const diskFixed = 8 + 8 + 16

func (p kudosPart) encode() []byte {
	v := make([]byte, 0, diskFixed+len(p.giver))
	v = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(v, p.seq), p.retractSeq)
	return append(append(v, p.retractID[:]...), p.giver...)
}

func decodeKudosPart(v []byte) (kudosPart, error) {
	if len(v) < diskFixed {
		return kudosPart{}, fmt.Errorf("kudos index: an entry of %d bytes", len(v))
	}
	return kudosPart{seq: binary.BigEndian.Uint64(v), retractSeq: binary.BigEndian.Uint64(v[8:]),
		retractID: uuid.UUID(v[16:32]), giver: string(v[diskFixed:])}, nil
}

// add returns the entry of parts p and o.
func (p kudosPart) add(o kudosPart) kudosPart {
	if o.seq != 0 && (p.seq == 0 || o.seq < p.seq) {
		p.seq, p.giver = o.seq, o.giver
	}
	if o.retractSeq != 0 && (p.retractSeq == 0 || o.retractSeq < p.retractSeq) {
		p.retractSeq, p.retractID = o.retractSeq, o.retractID
	}
	return p
}

func (t kudosDisk) write(events []queuedKudos) error {
	return t.db.use(func(db *pebble.DB) error {
		b := db.NewBatch()
		defer b.Close()
		for _, q := range events {
			p := kudosPart{seq: q.seq, giver: q.giver}
			if q.retraction {
				p = kudosPart{retractSeq: q.seq, retractID: q.retractID}
			}
			if err := b.Merge(diskKey(q.tenant, q.id), p.encode(), nil); err != nil {
				return err
			}
		}
		return b.Commit(pebble.NoSync)
	})
}

func (t kudosDisk) get(tenant string, id uuid.UUID) (kudosRef, bool, error) {
	var p kudosPart
	found, err := t.db.get(diskKey(tenant, id), func(v []byte) (err error) {
		p, err = decodeKudosPart(v)
		return err
	})
	if !found || err != nil || p.seq == 0 {
		return kudosRef{}, false, err
	}
	ref := kudosRef{giver: p.giver, seq: p.seq, retractSeq: p.retractSeq}
	if p.retractSeq != 0 {
		ref.retractID = p.retractID.String()
	}
	return ref, true, nil
}
