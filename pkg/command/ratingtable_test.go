package command

import (
	"errors"
	"testing"
)

// TestRatingTables: both tables keep what they are given, and two rating
// indexes sharing the database keep apart, though their numbers for
// tenants and platforms are alike.
func TestRatingTables(t *testing.T) {
	t.Parallel()
	db := indexDBOf(t)
	other := ratingDisk{db: db, ns: db.namespace()}
	k := ratingKey{tp: 0, key: digest("call-1")}
	for name, table := range map[string]ratingTable{"memory": ratingMem{}, "disk": ratingDisk{db: db, ns: db.namespace()}} {
		t.Run(name, func(t *testing.T) {
			if e, ok, err := table.get(k); err != nil || ok {
				t.Fatalf("get of nothing = %+v, %v, %v", e, ok, err)
			}
			want := ratingEntry{first: 3, version: 7, last: 9}
			if err := table.put(k, want); err != nil {
				t.Fatal(err)
			}
			if e, ok, err := table.get(k); err != nil || !ok || e != want {
				t.Errorf("get = %+v, %v, %v; want %+v", e, ok, err, want)
			}
			if e, ok, err := table.get(ratingKey{tp: 1, key: k.key}); err != nil || ok {
				t.Errorf("get of another platform = %+v, %v, %v; want none", e, ok, err)
			}
		})
	}
	if e, ok, err := other.get(k); err != nil || ok {
		t.Errorf("another index's namespace holds %+v, %v, %v; want none", e, ok, err)
	}
}

// failingPuts is a table whose writes fail once fail is set, while its
// reads still work.
type failingPuts struct {
	ratingMem
	fail bool
}

var errPut = errors.New("disk full")

func (t *failingPuts) put(k ratingKey, e ratingEntry) error {
	if t.fail {
		return errPut
	}
	return t.ratingMem.put(k, e)
}

// TestRatingIndexFailsClosed: once a write to its table fails, the rating
// index answers every lookup with the error, and the shard does not move
// past the event it failed to record: it no longer knows every event of
// the shard, so it must not decide or condition appends on it.
func TestRatingIndexFailsClosed(t *testing.T) {
	t.Parallel()
	table := &failingPuts{ratingMem: ratingMem{}}
	x := newRatingIndex(table)
	first, second := digest("call-1"), digest("call-2")
	second[0] = first[0] // on one shard
	x.observe("acme", "genesys", first, ratingReceived, 5, true)
	if e, ok, last, err := x.lookup("acme", "genesys", first); err != nil || !ok || e.first != 5 || last.received != 5 {
		t.Fatalf("lookup = %+v, %v, %+v, %v", e, ok, last, err)
	}
	table.fail = true
	x.observe("acme", "genesys", second, ratingReceived, 6, true)
	_, sh := x.shardOf("acme", "genesys", second)
	x.mu.RLock()
	lasts := shardLasts{all: sh.last, received: sh.lastReceived}
	x.mu.RUnlock()
	if lasts != (shardLasts{all: 5, received: 5}) {
		t.Errorf("the shard moved to %+v past the event it failed to record", lasts)
	}
	for _, k := range [][16]byte{first, second} {
		if _, _, _, err := x.lookup("acme", "genesys", k); !errors.Is(err, errPut) {
			t.Errorf("lookup after the failed write: %v, want %v", err, errPut)
		}
	}
}
