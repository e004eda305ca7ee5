// Package allowance is the allowance projection: for every member, the
// giving allowance of the current period (limit, spent, remaining, when it
// resets, in their time zone) and what they have received, this period and
// all time.
//
// Its numbers agree exactly with the write side's decisions because it
// folds the decisions the events record (each kudos carries the period and
// points it spent, each retraction what it refunded) with the write side's
// own period and limit rules (command.PeriodAt, command.Limit).
package allowance

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer. Renaming it
// replays the whole stream.
const Name = "allowance"

var (
	bMembers  = []byte("members")  // tenant 0 member -> MemberUpserted JSON (+left)
	bPolicy   = []byte("policy")   // tenant -> PolicySet JSON
	bBoosts   = []byte("boosts")   // tenant 0 boost id -> AllowanceBoosted JSON
	bSpent    = []byte("spent")    // tenant 0 member 0 period -> int
	bReceived = []byte("received") // tenant 0 member 0 period|"all" -> Received JSON
	bKudos    = []byte("kudos")    // tenant 0 kudos id -> kudosRecord JSON
)

// Received is recognition received: points and count of kudos.
type Received struct {
	Points int `json:"points"`
	Count  int `json:"count"`
}

type member struct {
	event.MemberUpserted
	Left bool `json:"left,omitempty"`
}

// kudosRecord remembers where a kudos was counted, to undo it on retraction.
type kudosRecord struct {
	Points   int               `json:"points"`
	Received map[string]string `json:"received"` // recipient -> their period key
}

// Projection is the allowance projection.
type Projection struct{}

// Name implements projector.Projection.
func (Projection) Name() string { return Name }

// Filters implements projector.Projection.
func (Projection) Filters() []string {
	return []string{
		"plaudit.*.kudos.>",
		"plaudit.*.member.>",
		"plaudit.*.policy.>",
		"plaudit.*.boost.>",
	}
}

// Init implements projector.Projection.
func (Projection) Init(tx *bolt.Tx) error {
	for _, b := range [][]byte{bMembers, bPolicy, bBoosts, bSpent, bReceived, bKudos} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func key(parts ...string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("allowance: %q: %w", k, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// Apply implements projector.Projection.
func (Projection) Apply(tx *bolt.Tx, ev projector.Event) error {
	t := ev.Tenant
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return putJSON(tx.Bucket(bMembers), key(t, d.Member), member{MemberUpserted: d})
	case event.MemberLeft:
		var m member
		ok, err := getJSON(tx.Bucket(bMembers), key(t, d.Member), &m)
		if err != nil || !ok {
			return err
		}
		m.Left, m.Active = true, false
		return putJSON(tx.Bucket(bMembers), key(t, d.Member), m)
	case event.PolicySet:
		return putJSON(tx.Bucket(bPolicy), []byte(t), d)
	case event.AllowanceBoosted:
		return putJSON(tx.Bucket(bBoosts), key(t, d.BoostID), d)
	case event.KudosGiven:
		if err := addInt(tx.Bucket(bSpent), key(t, d.Giver, d.Period), d.Spent); err != nil {
			return err
		}
		policy := policyOf(tx, t)
		rec := kudosRecord{Points: d.Points, Received: map[string]string{}}
		for _, r := range d.Recipients {
			m, _ := memberOf(tx, t, r)
			p := command.PeriodAt(policy.Allowance.Period, ev.Time, m.Location()).Key
			rec.Received[r] = p
			if err := addReceived(tx, t, r, p, d.Points, 1); err != nil {
				return err
			}
		}
		return putJSON(tx.Bucket(bKudos), key(t, ev.ID), rec)
	case event.KudosRetracted:
		if err := addInt(tx.Bucket(bSpent), key(t, d.Giver, d.Period), -d.Refunded); err != nil {
			return err
		}
		var rec kudosRecord
		ok, err := getJSON(tx.Bucket(bKudos), key(t, d.KudosID), &rec)
		if err != nil || !ok {
			return err
		}
		for r, p := range rec.Received {
			if err := addReceived(tx, t, r, p, -rec.Points, -1); err != nil {
				return err
			}
		}
		return tx.Bucket(bKudos).Delete(key(t, d.KudosID))
	}
	return nil
}

func addInt(b *bolt.Bucket, k []byte, delta int) error {
	var n int
	if _, err := getJSON(b, k, &n); err != nil {
		return err
	}
	return putJSON(b, k, n+delta)
}

func addReceived(tx *bolt.Tx, tenant, m, period string, points, count int) error {
	b := tx.Bucket(bReceived)
	for _, p := range []string{period, "all"} {
		var r Received
		if _, err := getJSON(b, key(tenant, m, p), &r); err != nil {
			return err
		}
		r.Points += points
		r.Count += count
		if err := putJSON(b, key(tenant, m, p), r); err != nil {
			return err
		}
	}
	return nil
}

func policyOf(tx *bolt.Tx, tenant string) event.PolicySet {
	p := event.DefaultPolicy()
	_, _ = getJSON(tx.Bucket(bPolicy), []byte(tenant), &p)
	return p
}

func memberOf(tx *bolt.Tx, tenant, id string) (command.Member, bool) {
	var m member
	ok, err := getJSON(tx.Bucket(bMembers), key(tenant, id), &m)
	if err != nil || !ok {
		return command.Member{}, false
	}
	return command.Member{MemberUpserted: m.MemberUpserted, Left: m.Left}, true
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
