package projector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// metaBucket holds the runtime's own keys in every projection store.
var metaBucket = []byte("_projector")

var (
	keyLastSeq      = []byte("last_seq")
	keyDeadLettered = []byte("dead_lettered")
	keyApplied      = []byte("applied")
	keyLayout       = []byte("layout")
)

// openStore opens (creating) the bbolt file at path and runs p.Init. A store
// of another layout than p's (Layouter) is deleted first: it is rebuilt
// from the stream.
//
// The file is not synced on commit (bbolt NoSync). A process crash loses
// nothing: every commit is in the operating system's cache. Power loss can
// lose the last commits or leave the file unreadable; the stream still holds
// every event, and a store that does not open is rebuilt from it. Syncing
// cost a catch-up about a tenth of its time.
func openStore(path string, p Projection) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
	}
	want := uint64(0)
	if l, ok := p.(Layouter); ok {
		want = uint64(l.Layout())
	}
	for attempt := 0; ; attempt++ {
		db, err := bolt.Open(path, 0o644, &bolt.Options{
			Timeout: 5 * time.Second, FreelistType: bolt.FreelistMapType, NoSync: true, NoFreelistSync: true,
		})
		corrupt := errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch)
		if corrupt && attempt == 0 {
			// Unreadable (a torn write on power loss): start again.
			if rmErr := os.Remove(path); rmErr == nil {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("projector: open %s: %w", path, err)
		}
		stale := false
		err = db.Update(func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucketIfNotExists(metaBucket); err != nil {
				return err
			}
			if LastSeq(tx) > 0 && getU64(tx, keyLayout) != want {
				stale = true
				return errStop
			}
			if err := putU64(tx, keyLayout, want); err != nil {
				return err
			}
			return p.Init(tx)
		})
		if stale && attempt == 0 {
			db.Close()
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("projector: %s: remove store of an old layout: %w", p.Name(), err)
			}
			continue
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("projector: init %s: %w", p.Name(), err)
		}
		return db, nil
	}
}

func getU64(tx *bolt.Tx, key []byte) uint64 {
	b := tx.Bucket(metaBucket)
	if b == nil {
		return 0
	}
	if v := b.Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func putU64(tx *bolt.Tx, key []byte, v uint64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	return tx.Bucket(metaBucket).Put(key, buf[:])
}

// LastSeq is the last stream sequence applied to the store.
func LastSeq(tx *bolt.Tx) uint64 { return getU64(tx, keyLastSeq) }

// errStop ends a bolt transaction without error semantics.
var errStop = errors.New("stop")
