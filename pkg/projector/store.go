package projector

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A projection's store is a Pebble database (an LSM tree) in
// <dir>/<name>.pebble. Pebble rather than bbolt: catching up, a projection
// writes several keys per event spread over the whole key space (one feed
// per member, one counter per member and period); bbolt reads and rewrites
// a page for each, Pebble appends them to its log and memtable.
//
// Keys are <bucket> 0x00 <key>: a bucket is a key prefix.

// metaBucket holds the runtime's own keys in every projection store.
var metaBucket = []byte("_projector")

var (
	keyLastSeq      = []byte("last_seq")
	keyDeadLettered = []byte("dead_lettered")
	keyApplied      = []byte("applied")
	keyLayout       = []byte("layout")
	// keyStreamCreated is the creation time, in Unix nanoseconds, of the
	// stream the store was built from (origin.go): what tells the stream
	// the checkpoint in keyLastSeq counts in from one that replaced it.
	keyStreamCreated = []byte("stream_created")
)

// StorePath is where the store of projection name lives under dir.
func StorePath(dir, name string) string { return filepath.Join(dir, name+".pebble") }

func bucketKey(bucket, key []byte) []byte {
	k := make([]byte, 0, len(bucket)+1+len(key))
	return append(append(append(k, bucket...), 0), key...)
}

// Store tuning. Every store of the process shares one block cache
// (sharedCache), so the memory a process spends on caching blocks does not
// grow with the projections it runs, and the busiest store's blocks take
// the room the others leave. Memtables stay small: a store may hold two
// full ones (one being written, one flushing), outside the Go heap.
// internal/bench/rssprobe (plauditd's resident memory) and the catch-up and
// read benchmarks (BenchmarkFeed, BenchmarkAllowance, BenchmarkDensity)
// set these figures between them.
const (
	memTableSize = 8 << 20
	cacheSize    = 64 << 20
)

// sharedCache is the block cache of every store the process opens; it
// lives as long as the process (its memory is taken as blocks are read).
var sharedCache = sync.OnceValue(func() *pebble.Cache { return pebble.NewCache(cacheSize) })

// openStore opens (creating) the store at path. A store written with
// another layout than p's (Layouter), or one Pebble cannot open, is emptied
// first: it is rebuilt from the stream. A store that another process holds
// is refused and left alone: the directory lock is taken before anything
// else.
//
// Commits are not synced (pebble.NoSync). A process crash loses nothing:
// each batch is one record of Pebble's write-ahead log, in the operating
// system's cache once committed. Power loss can lose the newest batches,
// which the stream replays, since the last applied sequence is in the same
// record as the changes.
func openStore(path string, p Projection, log *slog.Logger) (*pebble.DB, error) {
	want := layoutOf(p)
	// A store holds private recognition: its directory, and the one it
	// is in, are the engine's alone.
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
	}
	for _, dir := range []string{filepath.Dir(path), path} {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
		}
	}
	lock, err := pebble.LockDirectory(path, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("projector: %s: store %s in use: %w", p.Name(), path, err)
	}
	defer lock.Close() // an open DB holds a reference of its own
	reset := func(why string, err error) error {
		log.Warn("emptying the store; the projection is rebuilt from the stream", "path", path, "reason", why, "err", err)
		return clearStore(path)
	}
	db, err := openPebble(path, lock, log)
	if err != nil {
		if !damaged(err) {
			return nil, fmt.Errorf("projector: open %s: %w", path, err)
		}
		if err := reset("unreadable", err); err != nil {
			return nil, err
		}
		if db, err = openPebble(path, lock, log); err != nil {
			return nil, fmt.Errorf("projector: open %s: %w", path, err)
		}
	}
	last, err := readU64(db, keyLastSeq)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: open %s: %w", path, err)
	}
	layout, err := readU64(db, keyLayout)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: open %s: %w", path, err)
	}
	if last > 0 && layout != want {
		db.Close()
		if err := reset(fmt.Sprintf("layout %d, want %d", layout, want), nil); err != nil {
			return nil, err
		}
		if db, err = openPebble(path, lock, log); err != nil {
			return nil, fmt.Errorf("projector: open %s: %w", path, err)
		}
	}
	if err := db.Set(bucketKey(metaBucket, keyLayout), u64(want), pebble.NoSync); err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: open %s: %w", path, err)
	}
	return db, nil
}

// layoutOf is the store layout of p (Layouter), 0 for none.
func layoutOf(p Projection) uint64 {
	if l, ok := p.(Layouter); ok {
		return uint64(l.Layout())
	}
	return 0
}

// damaged reports whether a store failed to open because of what its files
// hold (a torn write on power loss, a garbled manifest) rather than because
// of the system (permissions, descriptors, a full or failing disk), where
// emptying it would only lose it. The directory lock is held by then, so
// another process holding the store is not a cause.
func damaged(err error) bool {
	for _, sys := range []error{os.ErrPermission, syscall.EMFILE, syscall.ENFILE, syscall.ENOSPC,
		syscall.EIO, syscall.EROFS, syscall.EDQUOT, syscall.ENOMEM} {
		if errors.Is(err, sys) {
			return false
		}
	}
	return true
}

// clearStore removes every file of the store at path but its lock.
func clearStore(path string) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("projector: empty %s: %w", path, err)
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(path, e.Name())); err != nil {
			return fmt.Errorf("projector: empty %s: %w", path, err)
		}
	}
	return nil
}

func openPebble(path string, lock *pebble.Lock, log *slog.Logger) (*pebble.DB, error) {
	opts := &pebble.Options{
		Merger:       counterMerger,
		Cache:        sharedCache(),
		Lock:         lock,
		MemTableSize: memTableSize,
		Logger:       PebbleLogger(log.With("store", filepath.Base(path))),
	}
	// Bloom filters on every level (the others inherit L0's): a projection
	// mostly reads keys it is about to create, and without filters a read of
	// an absent key searches every level.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return pebble.Open(path, opts)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// get reads key from r, copied; nil when there is none.
func get(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

func readU64(r pebble.Reader, key []byte) (uint64, error) {
	v, err := get(r, bucketKey(metaBucket, key))
	if err != nil || len(v) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// PebbleLogger sends a Pebble database's messages to log: routine ones at
// debug level.
func PebbleLogger(log *slog.Logger) pebble.Logger { return pebbleLogger{log} }

type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any)  { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pebbleLogger) Errorf(format string, args ...any) { l.log.Warn(fmt.Sprintf(format, args...)) }
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...))
	pebble.DefaultLogger.Fatalf(format, args...)
}
