package feed

import (
	"encoding/binary"
	"errors"
	"time"
)

// Items are stored in a compact binary form rather than JSON: a catch-up
// writes one per kudos and the store's compactions rewrite every byte of
// them several times, so half the bytes is a good part of the catch-up.
//
//	version 1 | seq uvarint | time varint ns | id giver message visibility channel |
//	recipients values teams | points varint
//
// Strings are a uvarint length and the bytes; lists a uvarint count and
// the strings. Reactions are counted apart and not stored with the item.
const itemVersion = 1

var errCorruptItem = errors.New("feed: corrupt item")

func encodeItem(it Item) []byte {
	n := 32 + len(it.ID) + len(it.Giver) + len(it.Message) + len(it.Visibility) + len(it.Channel)
	for _, l := range [][]string{it.Recipients, it.Values, it.Teams} {
		for _, s := range l {
			n += 2 + len(s)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, itemVersion)
	b = binary.AppendUvarint(b, it.Seq)
	b = binary.AppendVarint(b, it.Time.UnixNano())
	for _, s := range []string{it.ID, it.Giver, it.Message, it.Visibility, it.Channel} {
		b = appendStr(b, s)
	}
	for _, l := range [][]string{it.Recipients, it.Values, it.Teams} {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			b = appendStr(b, s)
		}
	}
	return binary.AppendVarint(b, int64(it.Points))
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// itemReader reads the fields of an encoded item in order; the first
// failure sticks.
type itemReader struct {
	b   []byte
	bad bool
}

func (r *itemReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *itemReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *itemReader) str() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *itemReader) list() []string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) { // each string takes a byte at least
		r.bad = true
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func decodeItem(v []byte) (Item, error) {
	if len(v) == 0 || v[0] != itemVersion {
		return Item{}, errCorruptItem
	}
	r := &itemReader{b: v[1:]}
	var it Item
	it.Seq = r.uvarint()
	it.Time = time.Unix(0, r.varint()).UTC()
	it.ID, it.Giver, it.Message, it.Visibility, it.Channel = r.str(), r.str(), r.str(), r.str(), r.str()
	it.Recipients, it.Values = r.list(), r.list()
	if teams := r.list(); len(teams) > 0 {
		it.Teams = teams
	}
	it.Points = int(r.varint())
	if r.bad || len(r.b) != 0 {
		return Item{}, errCorruptItem
	}
	return it, nil
}
