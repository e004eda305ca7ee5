package projector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// metaBucket holds the runtime's own keys in every projection store.
var metaBucket = []byte("_projector")

var (
	keyLastSeq      = []byte("last_seq")
	keyDeadLettered = []byte("dead_lettered")
	keyApplied      = []byte("applied")
)

// openStore opens (creating) the bbolt file at path and runs p.Init.
func openStore(path string, p Projection) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("projector: %s: %w", p.Name(), err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("projector: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(metaBucket); err != nil {
			return err
		}
		return p.Init(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projector: init %s: %w", p.Name(), err)
	}
	return db, nil
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
