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
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer. Renaming it
// replays the whole stream.
const Name = "allowance"

// Layout is the version of the store's layout; a store of another layout is
// rebuilt from the stream when the projector opens it.
const Layout = 5

var (
	bMembers  = []byte("members")  // tenant 0 member -> member JSON
	bPolicy   = []byte("policy")   // tenant -> PolicySet JSON
	bBoosts   = []byte("boosts")   // tenant 0 boost id -> AllowanceBoosted JSON
	bSpent    = []byte("spent")    // tenant 0 member 0 period -> counter: points
	bReceived = []byte("received") // tenant 0 member 0 period|"all" -> counters: points, count
	bKudos    = []byte("kudos")    // tenant 0 kudos id -> kudosRecord (binary)
)

type member struct {
	event.MemberUpserted
	Left bool `json:"left,omitempty"`
}

// kudosRecord remembers where a kudos was counted, to undo it on retraction:
// the points per recipient and, per recipient, the key of the period (in
// their time zone) it was counted in.
type kudosRecord struct {
	points   int
	received []receipt
}

type receipt struct{ member, period string }

func (k kudosRecord) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(k.points))
	for _, r := range k.received {
		b = binary.AppendUvarint(b, uint64(len(r.member)))
		b = append(b, r.member...)
		b = binary.AppendUvarint(b, uint64(len(r.period)))
		b = append(b, r.period...)
	}
	return b
}

func decodeKudosRecord(b []byte) (kudosRecord, error) {
	var k kudosRecord
	p, n := binary.Uvarint(b)
	if n <= 0 {
		return k, errors.New("allowance: corrupt kudos record")
	}
	k.points, b = int(p), b[n:]
	str := func() (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return "", false
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, true
	}
	for len(b) > 0 {
		m, ok1 := str()
		per, ok2 := str()
		if !ok1 || !ok2 {
			return k, errors.New("allowance: corrupt kudos record")
		}
		k.received = append(k.received, receipt{m, per})
	}
	return k, nil
}

// Projection is the allowance projection; Module makes it.
type Projection struct{ projector.Meta }

// filters are the subjects it consumes.
var filters = []string{"plaudit.*.kudos.>", "plaudit.*.member.>", "plaudit.*.policy.>", "plaudit.*.boost.>"}

// key is projector.Key.
var key = projector.Key

// getter reads a store: the batch's projector.Tx when applying, a
// projector.Reader when answering.
type getter interface {
	Get(bucket, key []byte) []byte
}

func putJSON(tx *projector.Tx, bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, k, raw)
}

// Apply implements projector.Projection.
func (p Projection) Apply(_ context.Context, tx *projector.Tx, ev projector.Event) error {
	t := ev.Tenant
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return putJSON(tx, bMembers, key(t, d.Member), member{MemberUpserted: d})
	case event.MemberLeft:
		m, ok, err := decodeMember(tx.Get(bMembers, key(t, d.Member)))
		if err != nil || !ok {
			return err
		}
		m.Left, m.Active = true, false
		return putJSON(tx, bMembers, key(t, d.Member), member{MemberUpserted: m.MemberUpserted, Left: true})
	case event.PolicySet:
		return putJSON(tx, bPolicy, []byte(t), d)
	case event.AllowanceBoosted:
		return putJSON(tx, bBoosts, key(t, d.BoostID), d)
	case event.KudosGiven:
		var buf [128]byte // keys, built without an allocation each
		if err := addInt(tx, projector.AppendKey(buf[:0], t, d.Giver, d.Period), d.Spent); err != nil {
			return err
		}
		policy, err := policyOf(tx, t)
		if err != nil {
			return err
		}
		rec := kudosRecord{points: d.Points, received: make([]receipt, 0, len(d.Recipients))}
		for _, r := range d.Recipients {
			m, _, err := memberOf(tx, t, r)
			if err != nil {
				return err
			}
			p := command.PeriodAt(policy.Allowance.Period, ev.Time, m.Location()).Key
			rec.received = append(rec.received, receipt{r, p})
			if err := addReceived(tx, buf[:0], t, r, p, d.Points, 1); err != nil {
				return err
			}
		}
		return tx.Put(bKudos, projector.AppendKey(buf[:0], t, ev.ID), rec.encode())
	case event.KudosRetracted:
		if err := addInt(tx, key(t, d.Giver, d.Period), -d.Refunded); err != nil {
			return err
		}
		raw := tx.Get(bKudos, key(t, d.KudosID))
		if raw == nil {
			return nil
		}
		rec, err := decodeKudosRecord(raw)
		if err != nil {
			return err
		}
		for _, r := range rec.received {
			if err := addReceived(tx, nil, t, r.member, r.period, -rec.points, -1); err != nil {
				return err
			}
		}
		return tx.Delete(bKudos, key(t, d.KudosID))
	}
	return nil
}

func getInt(g getter, bucket, k []byte, i int) int64 {
	return projector.Counter(g.Get(bucket, k), i)
}

func addInt(tx *projector.Tx, k []byte, delta int) error {
	return projector.AddCounters(tx, bSpent, k, int64(delta))
}

// addReceived builds its keys in buf.
func addReceived(tx *projector.Tx, buf []byte, tenant, m, period string, points, count int) error {
	for _, p := range [...]string{period, "all"} {
		if err := projector.AddCounters(tx, bReceived, projector.AppendKey(buf[:0], tenant, m, p), int64(points), int64(count)); err != nil {
			return err
		}
	}
	return nil
}

func readReceived(g getter, k []byte) apiv1.Received {
	v := g.Get(bReceived, k) // one read for both counters
	return apiv1.Received{Points: int(projector.Counter(v, 0)), Count: int(projector.Counter(v, 1))}
}

func decodePolicy(raw []byte) (event.PolicySet, error) {
	p := event.DefaultPolicy()
	if raw == nil {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("allowance: policy: %w", err)
	}
	return p, nil
}

func decodeMember(raw []byte) (command.Member, bool, error) {
	if raw == nil {
		return command.Member{}, false, nil
	}
	var m member
	if err := json.Unmarshal(raw, &m); err != nil {
		return command.Member{}, false, fmt.Errorf("allowance: member: %w", err)
	}
	return command.Member{MemberUpserted: m.MemberUpserted, Left: m.Left}, true, nil
}

func policyOf(g getter, tenant string) (event.PolicySet, error) {
	return decodePolicy(g.Get(bPolicy, []byte(tenant)))
}

func memberOf(g getter, tenant, id string) (command.Member, bool, error) {
	return decodeMember(g.Get(bMembers, key(tenant, id)))
}
