// Package feed is the feed projection: each tenant's public feed, each
// team's, and every member's received and given feeds, newest first, with
// reaction counts, filterable by company value. Retracted kudos disappear;
// private kudos appear only in the feeds of their giver and recipients.
//
// It owns its store (projector runtime, bbolt) and answers feed queries; it
// decides nothing and emits nothing.
package feed

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer. Renaming it
// replays the whole stream.
const Name = "feed"

var (
	bItems   = []byte("items")   // tenant 0 kudos id -> Item JSON
	bIndex   = []byte("index")   // tenant 0 scope 0 seq -> kudos id
	bMembers = []byte("members") // tenant 0 member -> team
)

// Item is one kudos as feeds show it.
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
}

// Projection is the feed projection.
type Projection struct{}

// Name implements projector.Projection.
func (Projection) Name() string { return Name }

// Filters implements projector.Projection.
func (Projection) Filters() []string {
	return []string{
		"plaudit.*.kudos.>",
		"plaudit.*.reaction.>",
		"plaudit.*.member.>",
	}
}

// Init implements projector.Projection.
func (Projection) Init(tx *bolt.Tx) error {
	for _, b := range [][]byte{bItems, bIndex, bMembers} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func key(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func indexKey(tenant, scope string, seq uint64) []byte {
	k := key(tenant, scope, "")
	return binary.BigEndian.AppendUint64(k, seq)
}

// scopes lists the index scopes of an item, each also per value.
func (it Item) scopes() []string {
	var base []string
	if it.Visibility == event.Public {
		base = append(base, "tenant")
		for _, t := range it.Teams {
			base = append(base, "team:"+t)
		}
	}
	base = append(base, "given:"+it.Giver)
	for _, r := range it.Recipients {
		base = append(base, "received:"+r)
	}
	out := make([]string, 0, len(base)*(1+len(it.Values)))
	for _, s := range base {
		out = append(out, s)
		for _, v := range it.Values {
			out = append(out, s+"|"+v)
		}
	}
	return out
}

// Apply implements projector.Projection.
func (Projection) Apply(tx *bolt.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return tx.Bucket(bMembers).Put(key(ev.Tenant, d.Member), []byte(d.Team))
	case event.MemberLeft:
		return nil // their kudos stay in the feeds
	case event.KudosGiven:
		return given(tx, ev, d)
	case event.ReactionAdded:
		return reacted(tx, ev.Tenant, d)
	case event.KudosRetracted:
		return retracted(tx, ev.Tenant, d)
	}
	return nil
}

func given(tx *bolt.Tx, ev projector.Event, d event.KudosGiven) error {
	it := Item{
		ID: ev.ID, Seq: ev.Seq, Time: ev.Time, Giver: d.Giver, Recipients: d.Recipients, Message: d.Message,
		Values: d.Values, Points: d.Points, Visibility: d.Visibility, Channel: d.Channel, Reactions: map[string]int{},
	}
	members := tx.Bucket(bMembers)
	seen := map[string]bool{}
	for _, m := range append([]string{d.Giver}, d.Recipients...) {
		if t := members.Get(key(ev.Tenant, m)); t != nil && !seen[string(t)] {
			seen[string(t)] = true
			it.Teams = append(it.Teams, string(t))
		}
	}
	if err := putItem(tx, ev.Tenant, it); err != nil {
		return err
	}
	idx := tx.Bucket(bIndex)
	for _, s := range it.scopes() {
		if err := idx.Put(indexKey(ev.Tenant, s, it.Seq), []byte(it.ID)); err != nil {
			return err
		}
	}
	return nil
}

func reacted(tx *bolt.Tx, tenant string, d event.ReactionAdded) error {
	it, ok, err := getItem(tx, tenant, d.KudosID)
	if err != nil || !ok {
		return err // a reaction to a retracted kudos has nothing to count on
	}
	it.Reactions[d.Emoji]++
	return putItem(tx, tenant, it)
}

func retracted(tx *bolt.Tx, tenant string, d event.KudosRetracted) error {
	it, ok, err := getItem(tx, tenant, d.KudosID)
	if err != nil || !ok {
		return err
	}
	idx := tx.Bucket(bIndex)
	for _, s := range it.scopes() {
		if err := idx.Delete(indexKey(tenant, s, it.Seq)); err != nil {
			return err
		}
	}
	return tx.Bucket(bItems).Delete(key(tenant, it.ID))
}

func putItem(tx *bolt.Tx, tenant string, it Item) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return tx.Bucket(bItems).Put(key(tenant, it.ID), b)
}

func getItem(tx *bolt.Tx, tenant, id string) (Item, bool, error) {
	v := tx.Bucket(bItems).Get(key(tenant, id))
	if v == nil {
		return Item{}, false, nil
	}
	var it Item
	if err := json.Unmarshal(v, &it); err != nil {
		return Item{}, false, fmt.Errorf("feed: item %s: %w", id, err)
	}
	if it.Reactions == nil {
		it.Reactions = map[string]int{}
	}
	return it, true, nil
}
