package command

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/plaudit/plaudit/pkg/projector"
)

// indexDB is the Pebble database in which plauditd's write side keeps its
// indexes (kudosDisk, ratingDisk), so that what they cost in memory is
// bounded (a memtable and a block cache, outside the Go heap) however many
// kudos and ratings the stream holds. make bench measures it: the
// sustained run's growth-B/event and BenchmarkRatingServerMemory's
// engine-B/rating.
//
// The database is a cache of the stream, not a store: it is emptied when
// opened, and the indexes read the stream into it again, as the in-memory
// ones do after a start. So nothing in it is ever stale, whatever happened
// to the stream while the process was stopped. It has no write-ahead log,
// for the same reason.
//
// Each index has a key prefix of its own (kudosPrefix, ratingPrefix).
type indexDB struct {
	// mu guards db, nil once closed: Pebble panics on a closed
	// database, and the indexes are read under locks of their own.
	mu sync.RWMutex
	db *pebble.DB
	// namespaces numbers the rating indexes that share the database.
	namespaces atomic.Uint32
}

var errIndexClosed = errors.New("index closed")

// Sizes of the index database: one small memtable (a second may be
// flushing) and a block cache for lookups of what was indexed long ago.
const (
	indexMemTable = 4 << 20
	indexCache    = 8 << 20
)

// openIndexDB opens the database at path, emptied. A database another
// process holds is refused and left alone: its directory lock is taken
// before anything is removed.
func openIndexDB(path string, log *slog.Logger) (*indexDB, error) {
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
		return nil, fmt.Errorf("index %s in use: %w", path, err)
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
	cache := pebble.NewCache(indexCache)
	defer cache.Unref() // the database holds a reference of its own
	// No write-ahead log: the database is emptied when opened, so nothing
	// would ever be recovered from one.
	opts := &pebble.Options{Cache: cache, Lock: lock, MemTableSize: indexMemTable, DisableWAL: true, Merger: indexMerger,
		Logger: projector.PebbleLogger(log.With("store", "write-side index"))}
	// Most lookups are of keys about to be indexed (a scan reading what
	// the index has not seen): filters answer those without reading
	// every level.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(path, opts)
	if err != nil {
		return nil, err
	}
	return &indexDB{db: db}, nil
}

// namespace returns a key namespace no other caller is given.
func (d *indexDB) namespace() uint32 { return d.namespaces.Add(1) }

// use runs fn on the open database, or fails with errIndexClosed.
func (d *indexDB) use(fn func(db *pebble.DB) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.db == nil {
		return errIndexClosed
	}
	return fn(d.db)
}

// get reads key's value into fn; found is false when there is none.
func (d *indexDB) get(key []byte, fn func(v []byte) error) (found bool, err error) {
	err = d.use(func(db *pebble.DB) error {
		v, closer, err := db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		defer closer.Close()
		found = true
		return fn(v)
	})
	return found, err
}

func (d *indexDB) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return nil
	}
	db := d.db
	d.db = nil
	return db.Close()
}
