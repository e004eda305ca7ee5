package command

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/projector"
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
	close() error
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

func (t *kudosMem) close() error { return nil }

// kudosDisk keeps the entries in a Pebble database of their own, so that
// what the index costs in memory is bounded (a memtable and a block cache,
// outside the Go heap) however many kudos the stream holds; the sustained
// run of make bench (BenchmarkSustainedLoad, growth-B/event) measures it.
//
// The database is a cache of the stream, not a store: it is emptied when
// opened, and the first lookup that misses reads the stream's kudos events
// into it again, as the in-memory index does. So nothing in it is ever
// stale, whatever happened to the stream while the process was stopped.
//
// A key is <tenant> 0x00 <kudos id, 16 bytes>; a value is the kudos'
// sequence, its retraction's sequence and id (zero while it stands), and
// its giver.
type kudosDisk struct {
	db *pebble.DB // nil once closed: Pebble panics on a closed database
}

var errIndexClosed = errors.New("kudos index: closed")

// Sizes of the kudos index's database: one small memtable (a second may be
// flushing) and a block cache for lookups of kudos given long ago.
const (
	kudosMemTable = 4 << 20
	kudosCache    = 8 << 20
)

// openKudosDisk opens the database at path, emptied. A database another
// process holds is refused and left alone: its directory lock is taken
// before anything is removed.
func openKudosDisk(path string, log *slog.Logger) (*kudosDisk, error) {
	// Kudos ids and who gave them, private recognition included: the
	// directory is the engine's alone.
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o700); err != nil {
		return nil, err
	}
	lock, err := pebble.LockDirectory(path, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("kudos index %s in use: %w", path, err)
	}
	defer lock.Close() // an open database holds a reference of its own
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() != "LOCK" {
			if err := os.RemoveAll(filepath.Join(path, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	cache := pebble.NewCache(kudosCache)
	defer cache.Unref() // the database holds a reference of its own
	opts := &pebble.Options{Cache: cache, Lock: lock, MemTableSize: kudosMemTable,
		Logger: projector.PebbleLogger(log.With("store", "kudos index"))}
	// Most lookups are of kudos about to be indexed (a sync reading what
	// it has not seen): filters answer those without reading every level.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(path, opts)
	if err != nil {
		return nil, err
	}
	return &kudosDisk{db: db}, nil
}

func diskKey(tenant string, id uuid.UUID) []byte {
	k := make([]byte, 0, len(tenant)+1+len(id))
	return append(append(append(k, tenant...), 0), id[:]...)
}

// A value: seq, retractSeq (8 bytes each, big-endian), retractID (16), giver.
const diskFixed = 8 + 8 + 16

func (t *kudosDisk) write(events []queuedKudos) error {
	if t.db == nil {
		return errIndexClosed
	}
	b := t.db.NewIndexedBatch()
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

func (t *kudosDisk) get(tenant string, id uuid.UUID) (kudosRef, bool, error) {
	if t.db == nil {
		return kudosRef{}, false, errIndexClosed
	}
	v, closer, err := t.db.Get(diskKey(tenant, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return kudosRef{}, false, nil
	}
	if err != nil {
		return kudosRef{}, false, err
	}
	defer closer.Close()
	if len(v) < diskFixed {
		return kudosRef{}, false, fmt.Errorf("kudos index: entry of %s is %d bytes", id, len(v))
	}
	ref := kudosRef{giver: string(v[diskFixed:]), seq: binary.BigEndian.Uint64(v[:8]), retractSeq: binary.BigEndian.Uint64(v[8:16])}
	if ref.retractSeq != 0 {
		ref.retractID = uuid.UUID(v[16:32]).String()
	}
	return ref, true, nil
}

func (t *kudosDisk) close() error {
	if t.db == nil {
		return nil
	}
	db := t.db
	t.db = nil
	return db.Close()
}
