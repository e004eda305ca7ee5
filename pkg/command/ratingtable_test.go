package command

import (
	"errors"
	"testing"
)

// TestRatingTables: both tables give back the entry of the events they
// were given, in whatever order, and two rating indexes sharing the
// database keep apart, though their numbers for tenants and platforms are
// alike.
func TestRatingTables(t *testing.T) {
	t.Parallel()
	db := indexDBOf(t)
	other := ratingDisk{db: db, ns: db.namespace()}
	k := ratingKey{tp: 0, key: digest("call-1")}
	parts := []ratingEntry{
		partOf(ratingCorrected, 7),
		partOf(ratingReceived, 12), // stored again after the duplicate window
		partOf(ratingReceived, 3),
		partOf(ratingWithdrawn, 9),
		partOf(ratingCorrected, 5),
	}
	want := ratingEntry{first: 3, version: 7, last: 9}
	for name, table := range map[string]ratingTable{"memory": ratingMem{}, "disk": ratingDisk{db: db, ns: db.namespace()}} {
		t.Run(name, func(t *testing.T) {
			if e, ok, err := table.get(k); err != nil || ok {
				t.Fatalf("get of nothing = %+v, %v, %v", e, ok, err)
			}
			for _, p := range parts {
				if err := table.add(k, p); err != nil {
					t.Fatal(err)
				}
			}
			if e, ok, err := table.get(k); err != nil || !ok || e != want {
				t.Errorf("get = %+v, %v, %v; want %+v", e, ok, err, want)
			}
			if e, ok, err := table.get(ratingKey{tp: 1, key: k.key}); err != nil || ok {
				t.Errorf("get of another platform = %+v, %v, %v; want none", e, ok, err)
			}
			// A correction with no rating received makes no entry.
			lone := ratingKey{tp: 0, key: digest("call-2")}
			if err := table.add(lone, partOf(ratingCorrected, 4)); err != nil {
				t.Fatal(err)
			}
			if e, ok, err := table.get(lone); err != nil || ok {
				t.Errorf("get of a correction alone = %+v, %v, %v; want none", e, ok, err)
			}
		})
	}
	if e, ok, err := other.get(k); err != nil || ok {
		t.Errorf("another index's namespace holds %+v, %v, %v; want none", e, ok, err)
	}
}

// TestRatingEntryParts: the parts of an interaction's events add to the
// entry the events make in stream order, in every order: the first rating
// received, the last correction and the last event.
func TestRatingEntryParts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		parts []ratingEntry
		want  ratingEntry
	}{
		{"received", []ratingEntry{partOf(ratingReceived, 5)}, ratingEntry{5, 5, 5}},
		{"corrected twice", []ratingEntry{partOf(ratingReceived, 5), partOf(ratingCorrected, 8), partOf(ratingCorrected, 11)}, ratingEntry{5, 11, 11}},
		{"withdrawn", []ratingEntry{partOf(ratingReceived, 5), partOf(ratingWithdrawn, 6)}, ratingEntry{5, 5, 6}},
		{"corrected and withdrawn", []ratingEntry{partOf(ratingReceived, 5), partOf(ratingCorrected, 8), partOf(ratingWithdrawn, 10)}, ratingEntry{5, 8, 10}},
		{"received again", []ratingEntry{partOf(ratingReceived, 5), partOf(ratingCorrected, 8), partOf(ratingReceived, 12)}, ratingEntry{5, 8, 8}},
	} {
		permute(tt.parts, func(order []ratingEntry) {
			var sum ratingEntry
			for _, p := range order {
				sum = sum.add(p)
			}
			if e, ok := sum.resolved(); !ok || e != tt.want {
				t.Errorf("%s, added in the order %v: %+v, %v; want %+v", tt.name, order, e, ok, tt.want)
			}
		})
	}
}

// permute calls fn with every order of parts.
func permute(parts []ratingEntry, fn func([]ratingEntry)) {
	if len(parts) <= 1 {
		fn(parts)
		return
	}
	for i := range parts {
		rest := append(append([]ratingEntry{}, parts[:i]...), parts[i+1:]...)
		permute(rest, func(order []ratingEntry) { fn(append([]ratingEntry{parts[i]}, order...)) })
	}
}

// failingAdds is a table whose writes fail once fail is set, while its
// reads still work.
type failingAdds struct {
	ratingMem
	fail bool
}

var errPut = errors.New("disk full")

func (t *failingAdds) add(k ratingKey, p ratingEntry) error {
	if t.fail {
		return errPut
	}
	return t.ratingMem.add(k, p)
}

// TestRatingIndexFailsClosed: once a write to its table fails, the rating
// index answers every lookup with the error, and the shard does not move
// past the event it failed to record: it no longer knows every event of
// the shard, so it must not decide or condition appends on it.
func TestRatingIndexFailsClosed(t *testing.T) {
	t.Parallel()
	table := &failingAdds{ratingMem: ratingMem{}}
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
