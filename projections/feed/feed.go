// Package feed is the feed projection: each tenant's public feed, each
// team's, and every member's received and given feeds, newest first, with
// reaction counts, filterable by company value. Retracted kudos disappear;
// private kudos appear only in the feeds of their giver and recipients.
//
// It owns its store (projector runtime, Pebble) and answers feed queries; it
// decides nothing and emits nothing.
package feed

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	json "github.com/goccy/go-json"
	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer. Renaming it
// replays the whole stream.
const Name = "feed"

// Layout is the version of the store's layout; a store of another layout is
// rebuilt from the stream when the projector opens it.
const Layout = 10

var (
	bItems     = []byte("items")     // tenant 0 kudos id -> Item, encoded (itemcodec.go), without reactions
	bIndex     = []byte("index")     // entry lists: tenant 0 scope 0 -> entry (appendEntry), by seq
	bMembers   = []byte("members")   // tenant 0 member -> team
	bReactions = []byte("reactions") // tenant 0 kudos id 0 emoji -> counter: reactions
	bReacted   = []byte("reacted")   // tenant 0 kudos id -> counter: reactions of every emoji
)

// Item is one kudos as feeds show it: the record the feed stores
// (itemcodec.go) and caches, which encodes as an apiv1.FeedItem.
type Item struct {
	ID         string         `json:"id"`
	Seq        uint64         `json:"seq"`
	Time       time.Time      `json:"time"`
	Giver      string         `json:"giver"`
	Recipients []string       `json:"recipients"`
	Message    string         `json:"message"`
	Values     []string       `json:"values"`
	Points     int            `json:"points"`
	Visibility string         `json:"visibility"`
	Channel    string         `json:"channel"`
	Reactions  map[string]int `json:"reactions"`
	// Teams are the teams of the giver and recipients when it was given:
	// the team feeds it is in.
	Teams []string `json:"teams,omitempty"`
	// encoded is the item's JSON, made once for the read side's cache
	// (Page.AppendJSON); nil for an item encoded when it is sent.
	encoded []byte
}

// itemCache keeps decoded items, their reaction counts and their JSON for
// the read side, by itemKey: it saves a feed page a store read, a
// decode, a reactions read and an encoding per item. The projection tells
// it of each reaction and retraction.
type itemCache = projector.ReadCache[*Item]

// itemCacheSize bounds the cached items: about 1 KiB each.
const itemCacheSize = 100_000

// Projection is the feed projection. Module's shares its item cache with
// the queries, to drop retracted items from it; the zero value has none.
type Projection struct{ cache *itemCache }

// Name implements projector.Projection.
func (Projection) Name() string { return Name }

// Reset implements projector.Resetter: the cached items are of a store the
// runtime emptied.
func (p Projection) Reset() { p.cache.Reset() }

// Layout implements projector.Layouter.
func (Projection) Layout() int { return Layout }

// Filters implements projector.Projection.
func (Projection) Filters() []string {
	return []string{
		"plaudit.*.kudos.>",
		"plaudit.*.reaction.>",
		"plaudit.*.member.>",
	}
}

// key is projector.Key.
var key = projector.Key

// indexRef is how an index entry names its kudos: 0xff and the 16 bytes of
// the UUID (every id Plaudit makes), else the id as it is. 0xff starts no
// UTF-8 text, so the two cannot be confused; the short form saves 19 bytes
// in each of the seven or so entries of a kudos.
func indexRef(id string) []byte {
	if canonicalUUID(id) {
		if u, err := uuid.Parse(id); err == nil {
			return append([]byte{0xff}, u[:]...)
		}
	}
	return []byte(id)
}

// canonicalUUID reports whether id is a UUID as uuid.UUID.String writes
// one (36 characters, lower-case hexadecimal, hyphens after the 8th, 12th,
// 16th and 20th digit): the ids whose short form reads back the same.
func canonicalUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// An index entry names its kudos and tags it with its company values:
//
//	indexRef(id) { valueTag(value) }... count
//
// with each tag 4 bytes big-endian and count, the number of tags, one byte
// (noTags: the values are not recorded, a reader must look at the item;
// so in the tenant's feeds, which have a feed per value instead).
// A feed filtered by value passes over entries without the value's tag
// without reading their items: a team's or a member's feed filtered by a
// value, which has no index of its own, costs a few item reads per page
// instead of one per entry scanned. Two values may share a tag, so a
// reader still checks the item's values.
const noTags = 0xff

// appendEntry appends the index entry of the kudos ref (indexRef) with
// values to dst.
func appendEntry(dst, ref []byte, values []string) []byte {
	dst = append(dst, ref...)
	if len(values) >= noTags {
		return append(dst, noTags)
	}
	for _, v := range values {
		dst = binary.BigEndian.AppendUint32(dst, valueTag(v))
	}
	return append(dst, byte(len(values)))
}

// splitEntry parses an index entry: the kudos's indexRef and its value
// tags; when they are not recorded (noTags), tags is nil and all is true:
// any value may be the item's.
func splitEntry(v []byte) (ref, tags []byte, all, ok bool) {
	if len(v) < 2 {
		return nil, nil, false, false
	}
	n := int(v[len(v)-1])
	if n == noTags {
		return v[:len(v)-1], nil, true, true
	}
	end := len(v) - 1 - 4*n
	if end < 1 {
		return nil, nil, false, false
	}
	return v[:end], v[end : len(v)-1], false, true
}

// hasTag reports whether tags (from splitEntry) hold tag.
func hasTag(tags []byte, tag uint32) bool {
	for i := 0; i+4 <= len(tags); i += 4 {
		if binary.BigEndian.Uint32(tags[i:]) == tag {
			return true
		}
	}
	return false
}

// valueTag is the tag of a company value in index entries: its 32-bit
// FNV-1a hash.
func valueTag(v string) uint32 {
	h := uint32(2166136261)
	for i := range len(v) {
		h = (h ^ uint32(v[i])) * 16777619
	}
	return h
}

// itemKey is the item cache's key of a kudos: tenant 0 indexRef, the
// short form an index entry holds, so that a feed page finds its cached
// items without making each one's id. It appends to buf.
func itemKey(buf []byte, tenant string, ref []byte) []byte {
	return append(append(append(buf, tenant...), 0), ref...)
}

// refID is the kudos id an index entry names.
func refID(v []byte) string {
	if len(v) == 17 && v[0] == 0xff {
		return uuid.UUID(v[1:]).String()
	}
	return string(v)
}

// eachScope calls fn with the index prefix (tenant 0 scope 0, as
// projector.Key makes it) of each index scope of the item, built in buf and
// valid during the call, and whether the scope is the tenant's feed or one
// of its per-value feeds. The tenant feed is also indexed per company
// value, since a tenant's kudos with a rare value may lie far apart; team
// and member feeds are short enough to filter by value as they are read.
// Every index entry is a write per kudos, the bulk of the projection's
// work.
func (it Item) eachScope(tenant string, buf []byte, fn func(prefix []byte, tenantWide bool) error) error {
	scope := func(kind, sep, id string) error {
		b := append(append(buf[:0], tenant...), 0)
		b = append(append(append(b, kind...), sep...), id...)
		return fn(append(b, 0), kind == "tenant")
	}
	if it.Visibility == event.Public {
		if err := scope("tenant", "", ""); err != nil {
			return err
		}
		for _, v := range it.Values {
			if err := scope("tenant", "|", v); err != nil {
				return err
			}
		}
		for _, t := range it.Teams {
			if err := scope("team", ":", t); err != nil {
				return err
			}
		}
	}
	if err := scope("given", ":", it.Giver); err != nil {
		return err
	}
	for _, r := range it.Recipients {
		if err := scope("received", ":", r); err != nil {
			return err
		}
	}
	return nil
}

// Apply implements projector.Projection.
func (p Projection) Apply(tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return tx.Put(bMembers, key(ev.Tenant, d.Member), []byte(d.Team))
	case event.MemberLeft:
		return nil // their kudos stay in the feeds
	case event.KudosGiven:
		return given(tx, ev, d)
	case event.ReactionAdded:
		return reacted(tx, ev, d, p.cache)
	case event.KudosRetracted:
		return retracted(tx, ev, d, p.cache)
	}
	return nil
}

func given(tx *projector.Tx, ev projector.Event, d event.KudosGiven) error {
	var buf [128]byte // keys, built without an allocation each
	return putKudos(tx, ev, d, buf[:0], func(m string) []byte {
		return tx.Get(bMembers, projector.AppendKey(buf[:0], ev.Tenant, m))
	})
}

// putKudos writes a kudos's item and index entries, with the teams teamOf
// tells of its giver and recipients (nil: none). It builds keys in buf,
// which teamOf may also use.
func putKudos(tx *projector.Tx, ev projector.Event, d event.KudosGiven, buf []byte, teamOf func(member string) []byte) error {
	it := Item{
		ID: ev.ID, Seq: ev.Seq, Time: ev.Time, Giver: d.Giver, Recipients: d.Recipients, Message: d.Message,
		Values: d.Values, Points: d.Points, Visibility: d.Visibility, Channel: d.Channel,
	}
	addTeam := func(m string) {
		t := teamOf(m)
		if t != nil && !slices.ContainsFunc(it.Teams, func(s string) bool { return s == string(t) }) {
			it.Teams = append(it.Teams, string(t))
		}
	}
	addTeam(d.Giver)
	for _, r := range d.Recipients {
		addTeam(r)
	}
	if err := tx.Put(bItems, key(ev.Tenant, it.ID), encodeItem(it)); err != nil {
		return err
	}
	// The tenant's feeds are not filtered by tag: a value has a feed of its
	// own there. Their entries go without tags.
	ref := indexRef(it.ID)
	tagged, untagged := appendEntry(nil, ref, it.Values), append(slices.Clip(ref), noTags)
	return it.eachScope(ev.Tenant, buf, func(prefix []byte, tenantWide bool) error {
		if tenantWide {
			return tx.AppendEntry(bIndex, prefix, it.Seq, untagged)
		}
		return tx.AppendEntry(bIndex, prefix, it.Seq, tagged)
	})
}

// reacted counts a reaction apart from the item, so that the item is not
// rewritten for each one, and drops the item from the read side's cache.
func reacted(tx *projector.Tx, ev projector.Event, d event.ReactionAdded, cache *itemCache) error {
	k := key(ev.Tenant, d.KudosID)
	if tx.Get(bItems, k) == nil {
		return nil // a reaction to a retracted kudos has nothing to count on
	}
	cache.Changed(itemKey(nil, ev.Tenant, indexRef(d.KudosID)), ev.Seq)
	if err := tx.Add(bReacted, k, 1); err != nil {
		return err
	}
	return tx.Add(bReactions, key(ev.Tenant, d.KudosID, d.Emoji), 1)
}

// retracted deletes the item. Its index entries stay (entry lists are
// append-only): a feed passes over entries whose item is gone, and the
// read side's item cache drops it.
func retracted(tx *projector.Tx, ev projector.Event, d event.KudosRetracted, cache *itemCache) error {
	k := key(ev.Tenant, d.KudosID)
	if tx.Get(bItems, k) == nil {
		return nil
	}
	cache.Changed(itemKey(nil, ev.Tenant, indexRef(d.KudosID)), ev.Seq)
	return tx.Delete(bItems, k)
}

// getItem reads the stored item an index entry names by ref (indexRef),
// with its reaction counts. cache, when not nil, serves and keeps items
// (itemCache). The item's Reactions may be shared with the cache and
// other readers: it must not be modified.
func getItem(rd *projector.Reader, tenant string, ref []byte, cache *itemCache) (Item, bool, error) {
	var buf [64]byte
	ck := itemKey(buf[:0], tenant, ref)
	if cached, ok := cache.Get(ck, rd.Seq()); ok {
		return *cached, true, nil
	}
	id := refID(ref)
	k := key(tenant, id)
	v := rd.Get(bItems, k)
	if v == nil {
		return Item{}, false, nil
	}
	it, err := decodeItem(v)
	if err != nil {
		return Item{}, false, fmt.Errorf("feed: item %s: %w", id, err)
	}
	// Most items have no reactions: a point read, which the store's
	// filters answer, tells so without a scan.
	var reactions map[string]int
	if rd.Get(bReacted, k) != nil {
		prefix := key(tenant, id, "")
		rd.Ascend(bReactions, prefix, func(k, v []byte) bool {
			if reactions == nil {
				reactions = map[string]int{}
			}
			reactions[string(k[len(prefix):])] = int(projector.Counter(v, 0))
			return true
		})
	}
	it.Reactions = reactions
	if reactions == nil {
		it.Reactions = noReactions
	}
	if cache != nil {
		if it.encoded, err = json.Marshal(it); err != nil {
			return Item{}, false, fmt.Errorf("feed: item %s: %w", id, err)
		}
		cache.Keep(rd, string(ck), &it)
	}
	return it, true, nil
}

// noReactions is the Reactions of every item without any: shared, never
// written.
var noReactions = map[string]int{}
