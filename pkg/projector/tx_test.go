package projector

import (
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var bTest = []byte("test")

func testDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bTest)
		if err != nil {
			return err
		}
		return b.Put([]byte("stored"), []byte("s"))
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestTxBuffersInKeyOrder: reads see the batch's own writes and deletes,
// the store sees none of them before flush and all of them after.
func TestTxBuffersInKeyOrder(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	err := db.Update(func(btx *bolt.Tx) error {
		tx := newTx(btx)
		for i := 9; i >= 0; i-- {
			if err := tx.Put(bTest, []byte("k"+strconv.Itoa(i)), []byte(strconv.Itoa(i))); err != nil {
				return err
			}
		}
		if err := tx.Delete(bTest, []byte("stored")); err != nil {
			return err
		}
		val := []byte("reused")
		if err := tx.Put(bTest, []byte("copy"), val); err != nil {
			return err
		}
		copy(val, "XXXXXX") // Put keeps its own copy
		switch {
		case string(tx.Get(bTest, []byte("k3"))) != "3":
			t.Errorf("Get k3 = %q, want the batch's own write", tx.Get(bTest, []byte("k3")))
		case tx.Get(bTest, []byte("stored")) != nil:
			t.Errorf("Get of a key deleted in the batch = %q", tx.Get(bTest, []byte("stored")))
		case btx.Bucket(bTest).Get([]byte("k3")) != nil || btx.Bucket(bTest).Get([]byte("stored")) == nil:
			t.Error("the store changed before flush")
		case string(tx.Get(bTest, []byte("copy"))) != "reused":
			t.Errorf("Get copy = %q, want the value as it was put", tx.Get(bTest, []byte("copy")))
		}
		if err := tx.Put([]byte("missing"), []byte("k"), []byte("v")); err != nil {
			return err
		}
		if err := tx.flush(); err == nil {
			t.Error("flush into a missing bucket succeeded")
		}
		return errStop // roll back; flush again below on a clean batch
	})
	if err != errStop {
		t.Fatal(err)
	}
	err = db.Update(func(btx *bolt.Tx) error {
		tx := newTx(btx)
		for i := 9; i >= 0; i-- {
			_ = tx.Put(bTest, []byte("k"+strconv.Itoa(i)), []byte(strconv.Itoa(i)))
		}
		_ = tx.Delete(bTest, []byte("stored"))
		return tx.flush()
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(btx *bolt.Tx) error {
		var keys []string
		_ = btx.Bucket(bTest).ForEach(func(k, v []byte) error {
			keys = append(keys, string(k)+"="+string(v))
			return nil
		})
		want := "k0=0 k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9"
		if got := joinSpace(keys); got != want {
			t.Errorf("store holds %s, want %s", got, want)
		}
		return nil
	})
}

// TestTxDecodedForgetsOnWrite: Decoded decodes a key once per batch until
// the batch writes it again.
func TestTxDecodedForgetsOnWrite(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	_ = db.Update(func(btx *bolt.Tx) error {
		tx := newTx(btx)
		calls := 0
		decode := func(raw []byte) (any, error) { calls++; return string(raw), nil }
		for range 3 {
			if v, _ := tx.Decoded(bTest, []byte("stored"), decode); v != "s" {
				t.Errorf("Decoded = %v, want s", v)
			}
		}
		_ = tx.Put(bTest, []byte("stored"), []byte("new"))
		if v, _ := tx.Decoded(bTest, []byte("stored"), decode); v != "new" {
			t.Errorf("Decoded after a write = %v, want new", v)
		}
		if calls != 2 {
			t.Errorf("decode called %d times, want 2", calls)
		}
		return errStop
	})
}

func joinSpace(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
