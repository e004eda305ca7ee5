// Package feed is the feed projection: each tenant's public feed, each
// team's, and every member's received and given feeds, newest first, with
// reaction counts, filterable by company value. Retracted kudos disappear;
// private kudos appear only in the feeds of their giver and recipients.
//
// It owns its store (projector runtime, Pebble) and answers feed queries; it
// decides nothing and emits nothing.
package feed

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer. Renaming it
// replays the whole stream.
const Name = "feed"

// Layout is the version of the store's layout; a store of another layout is
// rebuilt from the stream when the projector opens it.
const Layout = 12

var (
	bItems   = []byte("items")   // tenant 0 kudos id -> apiv1.FeedItem JSON, reactions counted in it
	bIndex   = []byte("index")   // tenant 0 scope 0 seq (8 bytes, big-endian) -> kudos id
	bMembers = []byte("members") // tenant 0 member -> team
)

// Projection is the feed projection; Module makes it.
type Projection struct{ projector.Meta }

// filters are the subjects it consumes.
var filters = []string{"plaudit.*.kudos.>", "plaudit.*.reaction.>", "plaudit.*.member.>"}

// key is projector.Key.
var key = projector.Key

// entryKey is the key of a kudos's entry in the index scope prefix
// (scopes): its stream sequence, big-endian, orders the scope.
func entryKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(prefix), seq)
}

// scopes lists the index scopes of the item, each as the prefix of its
// entries (tenant 0 scope 0): the tenant's feed and its per-value feeds
// and the teams' feeds when the kudos is public, the giver's given feed and
// each recipient's received feed. The tenant feed is also indexed per
// company value, since a tenant's kudos with a rare value may lie far
// apart; team and member feeds are short enough to filter by value as they
// are read.
func scopes(it apiv1.FeedItem, tenant string) [][]byte {
	var out [][]byte
	scope := func(s string) { out = append(out, key(tenant, s, "")) }
	if it.Visibility == event.Public {
		scope("tenant")
		for _, v := range it.Values {
			scope("tenant|" + v)
		}
		for _, t := range it.Teams {
			scope("team:" + t)
		}
	}
	scope("given:" + it.Giver)
	for _, r := range it.Recipients {
		scope("received:" + r)
	}
	return out
}

// Apply implements projector.Projection.
func (Projection) Apply(_ context.Context, tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return tx.Put(bMembers, key(ev.Tenant, d.Member), []byte(d.Team))
	case event.MemberLeft:
		return nil // their kudos stay in the feeds
	case event.KudosGiven:
		return given(tx, ev, d)
	case event.ReactionAdded:
		// An item is read far more often than reacted to: its reactions are
		// counted in it, so a page reads one key per item.
		it, ok, err := getItem(tx, ev.Tenant, d.KudosID)
		if err != nil || !ok {
			return err // a reaction to a retracted kudos has nothing to count on
		}
		it.Reactions[d.Emoji]++
		return putItem(tx, ev.Tenant, it)
	case event.KudosRetracted:
		return retracted(tx, ev, d)
	}
	return nil
}

// given writes a kudos's item, with the teams of its giver and recipients,
// and its entry in each index scope it is in.
func given(tx *projector.Tx, ev projector.Event, d event.KudosGiven) error {
	it := apiv1.FeedItem{
		ID: ev.ID, Seq: ev.Seq, Time: ev.Time, Giver: d.Giver, Recipients: d.Recipients, Message: d.Message,
		Values: d.Values, Points: d.Points, Visibility: d.Visibility, Channel: d.Channel,
	}
	for _, m := range append([]string{d.Giver}, d.Recipients...) {
		if t := tx.Get(bMembers, key(ev.Tenant, m)); t != nil && !slices.Contains(it.Teams, string(t)) {
			it.Teams = append(it.Teams, string(t))
		}
	}
	if err := putItem(tx, ev.Tenant, it); err != nil {
		return err
	}
	for _, prefix := range scopes(it, ev.Tenant) {
		if err := tx.Put(bIndex, entryKey(prefix, it.Seq), []byte(it.ID)); err != nil {
			return err
		}
	}
	return nil
}

// retracted deletes the item, its index entries and its reactions.
func retracted(tx *projector.Tx, ev projector.Event, d event.KudosRetracted) error {
	it, ok, err := getItem(tx, ev.Tenant, d.KudosID)
	if err != nil || !ok {
		return err
	}
	if err := tx.Delete(bItems, key(ev.Tenant, d.KudosID)); err != nil {
		return err
	}
	for _, prefix := range scopes(it, ev.Tenant) {
		if err := tx.Delete(bIndex, entryKey(prefix, it.Seq)); err != nil {
			return err
		}
	}
	return tx.Err()
}

func putItem(tx *projector.Tx, tenant string, it apiv1.FeedItem) error {
	raw, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return tx.Put(bItems, key(tenant, it.ID), raw)
}

// getter reads a store: a projector.Tx while applying, a projector.Reader
// while answering.
type getter interface {
	Get(bucket, key []byte) []byte
	Err() error
}

// getItem reads the stored item of a kudos.
func getItem(rd getter, tenant, id string) (apiv1.FeedItem, bool, error) {
	v := rd.Get(bItems, key(tenant, id))
	if v == nil {
		return apiv1.FeedItem{}, false, rd.Err()
	}
	var it apiv1.FeedItem
	if err := json.Unmarshal(v, &it); err != nil {
		return apiv1.FeedItem{}, false, fmt.Errorf("feed: item %s: %w", id, err)
	}
	if it.Reactions == nil {
		it.Reactions = map[string]int{}
	}
	return it, true, nil
}
