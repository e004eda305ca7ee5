// Package density is the recognition-density projection: whether
// appreciation in a team is frequent, timely and reaching everyone, rather
// than who has the most. It keeps every recognition moment (one per
// recipient of a kudos) by event time, per member, and answers density,
// reach, direction, values coverage, evenness, timeliness and recognition
// gaps over rolling windows and calendar weeks at query time (metrics.go).
//
// Team figures describe the people on the team now: the moments each of its
// active members received and gave in the window, wherever they were then.
// A member who left is gone from every figure; their kudos to others still
// count for those who received them.
package density

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	json "github.com/goccy/go-json"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer.
const Name = "density"

// Layout is the version of the store's layout; a store of another layout is
// rebuilt from the stream when the projector opens it.
const Layout = 4

var (
	bMembers  = []byte("members")  // tenant 0 member -> member (JSON)
	bRoster   = []byte("roster")   // tenant 0 team 0 member -> member (JSON): who is on the team now
	bReceived = []byte("received") // tenant 0 member 0 time seq -> moment (momentcodec)
	bGiven    = []byte("given")    // tenant 0 member 0 time seq -> uvarint: moments given by one kudos
	bKudos    = []byte("kudos")    // tenant 0 kudos id -> kudosRecord: where its moments are
	bRatings  = []byte("ratings")  // tenant 0 rating event id -> occurred at (time)
)

// member is what the projection knows of a member.
type member struct {
	Team     string `json:"team"`
	Manager  string `json:"manager,omitempty"`
	TimeZone string `json:"time_zone"`
	Active   bool   `json:"active"`
	Left     bool   `json:"left,omitempty"`
	// Joined is when the member was first upserted (again, after leaving):
	// the gap list leaves out those who joined less than its days ago.
	Joined time.Time `json:"joined"`
}

// counted reports whether the member is in the figures: active, not left.
func (m member) counted() bool { return m.Active && !m.Left }

// Directions of a moment, each moment in exactly one, in this order of
// precedence: from a customer (a kudos caused by a rating), from the
// recipient's manager or a manager above them, from another team, and
// between peers.
const (
	Peer = iota
	FromManager
	FromCustomer
	CrossTeam
)

// Projection is the density projection; Module makes it.
type Projection struct{ projector.Meta }

func newProjection() Projection {
	return Projection{projector.NewMeta(Name, Layout,
		"plaudit.*.kudos.>",
		"plaudit.*.member.>",
		"plaudit.*.rating.>",
	)}
}

// key is projector.Key.
var key = projector.Key

// timeKey orders instants as unsigned big-endian bytes: milliseconds since
// the epoch with the sign bit flipped.
func timeKey(b []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixMilli())^(1<<63))
}

func timeOfKey(b []byte) time.Time {
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b) ^ (1 << 63))).UTC()
}

// momentKey is where a moment of member m at t, from the event at seq, is;
// it appends to buf.
func momentKey(buf []byte, tenant, m string, t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(timeKey(projector.AppendKey(buf, tenant, m, ""), t), seq)
}

// Apply implements projector.Projection.
func (Projection) Apply(_ context.Context, tx *projector.Tx, ev projector.Event) error {
	t := ev.Tenant
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		return upserted(tx, ev, d)
	case event.MemberLeft:
		m, ok, err := memberOf(tx, t, d.Member)
		if err != nil || !ok {
			return err
		}
		m.Left, m.Active = true, false
		if err := tx.Delete(bRoster, key(t, m.Team, d.Member)); err != nil {
			return err
		}
		return putMember(tx, t, d.Member, m)
	case event.RatingReceived:
		return tx.Put(bRatings, key(t, ev.ID), timeKey(nil, d.OccurredAt))
	case event.RatingCorrected:
		// Kudos a correction earns are caused by the correction.
		return tx.Put(bRatings, key(t, ev.ID), timeKey(nil, d.OccurredAt))
	case event.KudosGiven:
		return given(tx, ev, d)
	case event.KudosRetracted:
		return retracted(tx, ev, d.KudosID)
	}
	return nil
}

func upserted(tx *projector.Tx, ev projector.Event, d event.MemberUpserted) error {
	t := ev.Tenant
	old, ok, err := memberOf(tx, t, d.Member)
	if err != nil {
		return err
	}
	m := member{Team: d.Team, Manager: d.Manager, TimeZone: d.TimeZone, Active: d.Active, Joined: ev.Time}
	if ok && !old.Left {
		m.Joined = old.Joined
		if old.Team != d.Team {
			if err := tx.Delete(bRoster, key(t, old.Team, d.Member)); err != nil {
				return err
			}
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// The roster holds the member too: a team's figures read its members
	// with one scan.
	if err := tx.Put(bRoster, key(t, d.Team, d.Member), raw); err != nil {
		return err
	}
	return tx.Put(bMembers, key(t, d.Member), raw)
}

func putMember(tx *projector.Tx, tenant, id string, m member) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Put(bMembers, key(tenant, id), raw)
}

// memberOf reads a member while applying.
func memberOf(tx *projector.Tx, tenant, id string) (member, bool, error) {
	raw := tx.Get(bMembers, key(tenant, id))
	if raw == nil {
		return member{}, false, tx.Err()
	}
	var m member
	if err := json.Unmarshal(raw, &m); err != nil {
		return member{}, false, fmt.Errorf("density: member: %w", err)
	}
	return m, true, nil
}

// maxChain bounds the walk up a manager chain.
const maxChain = 32

// managedBy reports whether boss is m's manager or a manager above them. A
// chain that comes back on itself (a lead managing themself) ends there.
func managedBy(tx *projector.Tx, tenant string, m member, boss string) (bool, error) {
	var seen [maxChain]string
	for i := range maxChain {
		if m.Manager == "" || slices.Contains(seen[:i], m.Manager) {
			return false, nil
		}
		if m.Manager == boss {
			return true, nil
		}
		seen[i] = m.Manager
		next, ok, err := memberOf(tx, tenant, m.Manager)
		if err != nil || !ok {
			return false, err
		}
		m = next
	}
	return false, nil
}

func given(tx *projector.Tx, ev projector.Event, d event.KudosGiven) error {
	t := ev.Tenant
	var buf [128]byte // moment keys, built without an allocation each
	giver, isMember, err := memberOf(tx, t, d.Giver)
	if err != nil {
		return err
	}
	fromRating := d.Cause != nil && (d.Cause.Type == event.TypeRatingReceived || d.Cause.Type == event.TypeRatingCorrected)
	var delay time.Duration
	hasDelay := false
	if fromRating {
		if v := tx.Get(bRatings, key(t, d.Cause.EventID)); len(v) == 8 {
			delay, hasDelay = max(ev.Time.Sub(timeOfKey(v)), 0), true
		}
	}
	for _, r := range d.Recipients {
		rec, known, err := memberOf(tx, t, r)
		if err != nil {
			return err
		}
		mo := moment{Giver: d.Giver, Values: d.Values, Delay: delay, HasDelay: hasDelay, Direction: Peer}
		switch {
		case fromRating:
			mo.Direction = FromCustomer
		case known:
			boss, err := managedBy(tx, t, rec, d.Giver)
			if err != nil {
				return err
			}
			if boss {
				mo.Direction = FromManager
			} else if isMember && giver.Team != rec.Team {
				mo.Direction = CrossTeam
			}
		}
		mk := momentKey(buf[:0], t, r, ev.Time, ev.Seq)
		if err := tx.Put(bReceived, mk, mo.encode()); err != nil {
			return err
		}
	}
	n := binary.AppendUvarint(nil, uint64(len(d.Recipients)))
	mk := momentKey(buf[:0], t, d.Giver, ev.Time, ev.Seq)
	if err := tx.Put(bGiven, mk, n); err != nil {
		return err
	}
	rec := kudosRecord{time: ev.Time, seq: ev.Seq, giver: d.Giver, recipients: d.Recipients}
	return tx.Put(bKudos, key(t, ev.ID), rec.encode())
}

func retracted(tx *projector.Tx, ev projector.Event, id string) error {
	tenant := ev.Tenant
	raw := tx.Get(bKudos, key(tenant, id))
	if raw == nil {
		return nil
	}
	rec, err := decodeKudosRecord(raw)
	if err != nil {
		return err
	}
	for _, r := range rec.recipients {
		mk := momentKey(nil, tenant, r, rec.time, rec.seq)
		if err := tx.Delete(bReceived, mk); err != nil {
			return err
		}
	}
	mk := momentKey(nil, tenant, rec.giver, rec.time, rec.seq)
	if err := tx.Delete(bGiven, mk); err != nil {
		return err
	}
	return tx.Delete(bKudos, key(tenant, id))
}

// kudosRecord is where a kudos's moments are, to remove them on
// retraction: its time and sequence, giver and recipients.
type kudosRecord struct {
	time       time.Time
	seq        uint64
	giver      string
	recipients []string
}

func (k kudosRecord) encode() []byte {
	b := timeKey(nil, k.time)
	b = binary.AppendUvarint(b, k.seq)
	for _, s := range append([]string{k.giver}, k.recipients...) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errCorrupt = errors.New("density: corrupt record")

func decodeKudosRecord(b []byte) (kudosRecord, error) {
	var k kudosRecord
	if len(b) < 8 {
		return k, errCorrupt
	}
	k.time, b = timeOfKey(b), b[8:]
	seq, n := binary.Uvarint(b)
	if n <= 0 {
		return k, errCorrupt
	}
	k.seq, b = seq, b[n:]
	var all []string
	for len(b) > 0 {
		s, rest, ok := readString(b)
		if !ok {
			return k, errCorrupt
		}
		all, b = append(all, s), rest
	}
	if len(all) < 2 {
		return k, errCorrupt
	}
	k.giver, k.recipients = all[0], all[1:]
	return k, nil
}

func readString(b []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", nil, false
	}
	return string(b[n : n+int(l)]), b[n+int(l):], true
}

// moment is one recognition moment as a recipient's list keeps it.
type moment struct {
	Giver     string
	Direction int
	Values    []string
	// Delay is, for a kudos caused by a rating, the time from the rating's
	// occurred-at to the kudos (HasDelay when the rating is known).
	Delay    time.Duration
	HasDelay bool
}

// encode: direction, delay in ms + 1 (0: none), giver, values.
func (m moment) encode() []byte {
	b := make([]byte, 0, 16+len(m.Giver)+16*len(m.Values))
	b = append(b, byte(m.Direction))
	d := uint64(0)
	if m.HasDelay {
		d = uint64(m.Delay.Milliseconds()) + 1
	}
	b = binary.AppendUvarint(b, d)
	for _, s := range append([]string{m.Giver}, m.Values...) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeMoment(b []byte) (moment, error) {
	var m moment
	if len(b) < 2 || b[0] > CrossTeam {
		return m, errCorrupt
	}
	m.Direction, b = int(b[0]), b[1:]
	d, n := binary.Uvarint(b)
	if n <= 0 {
		return m, errCorrupt
	}
	b = b[n:]
	if d > 0 {
		m.Delay, m.HasDelay = time.Duration(d-1)*time.Millisecond, true
	}
	giver, b, ok := readString(b)
	if !ok {
		return m, errCorrupt
	}
	m.Giver = giver
	for len(b) > 0 {
		v, rest, ok := readString(b)
		if !ok {
			return m, errCorrupt
		}
		m.Values, b = append(m.Values, v), rest
	}
	return m, nil
}
