package allowance

import (
	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// readCaches keep what a balance is read from, decoded, for the balance
// query: a tenant's policy and boosts, and a member with their counters of
// one period. The projection tells them of every event that changes
// either (changed).
type readCaches struct {
	tenants *projector.ReadCache[*tenantRules]   // by tenant
	members *projector.ReadCache[*memberBalance] // by tenant 0 member
}

// readCacheSize bounds the members kept: a few hundred bytes each.
const readCacheSize = 100_000

func newReadCaches() *readCaches {
	return &readCaches{
		tenants: projector.NewReadCache[*tenantRules](1000),
		members: projector.NewReadCache[*memberBalance](readCacheSize),
	}
}

// tenantRules are a tenant's policy and boosts.
type tenantRules struct {
	policy event.PolicySet
	boosts []event.AllowanceBoosted
}

// memberBalance is a member and, once read, their counters of period.
type memberBalance struct {
	m      command.Member
	found  bool
	period string // "" until the counters are read
	spent  int
	recv   apiv1.Received // in period
	total  apiv1.Received
}

// changed tells the caches of what ev changes. A retraction changes its
// recipients too, which only the projection's kudos record knows: Apply
// tells of them.
func (c *readCaches) changed(ev projector.Event) {
	if c == nil {
		return
	}
	t := ev.Tenant
	switch d := ev.Data.(type) {
	case event.MemberUpserted:
		c.memberChanged(t, d.Member, ev.Seq)
	case event.MemberLeft:
		c.memberChanged(t, d.Member, ev.Seq)
	case event.PolicySet:
		c.tenants.Changed([]byte(t), ev.Seq)
	case event.AllowanceBoosted:
		c.tenants.Changed([]byte(t), ev.Seq)
	case event.KudosGiven:
		c.memberChanged(t, d.Giver, ev.Seq)
		for _, r := range d.Recipients {
			c.memberChanged(t, r, ev.Seq)
		}
	case event.KudosRetracted:
		c.memberChanged(t, d.Giver, ev.Seq)
	}
}

// memberChanged tells the caches of a change to member m of tenant t.
func (c *readCaches) memberChanged(t, m string, seq uint64) {
	if c == nil {
		return
	}
	var buf [96]byte // the key, without an allocation while catching up
	c.members.Changed(projector.AppendKey(buf[:0], t, m), seq)
}

// rules reads a tenant's policy and boosts, through the cache (none: the
// zero readCaches).
func (c *readCaches) rules(rd *projector.Reader, tenant string) (*tenantRules, error) {
	if r, ok := c.tenants.Get([]byte(tenant), rd.Seq()); ok {
		return r, nil
	}
	policy, err := policyOf(rd, tenant)
	if err != nil {
		return nil, err
	}
	r := &tenantRules{policy: policy}
	rd.Ascend(bBoosts, key(tenant, ""), func(_, v []byte) bool {
		var b event.AllowanceBoosted
		if err = json.Unmarshal(v, &b); err != nil {
			return false
		}
		r.boosts = append(r.boosts, b)
		return true
	})
	if err != nil {
		return nil, err
	}
	c.tenants.Keep(rd, tenant, r)
	return r, nil
}

// member reads a member and their counters of period, through the cache.
func (c *readCaches) member(rd *projector.Reader, tenant, id string, period func(command.Member) string) (*memberBalance, error) {
	k := key(tenant, id)
	mb, ok := c.members.Get(k, rd.Seq())
	if !ok {
		m, found, err := memberOf(rd, tenant, id)
		if err != nil {
			return nil, err
		}
		mb = &memberBalance{m: m, found: found}
	}
	if !mb.found {
		c.members.Keep(rd, string(k), mb)
		return mb, nil
	}
	if p := period(mb.m); p != mb.period {
		mb = &memberBalance{m: mb.m, found: true, period: p,
			spent: int(getInt(rd, bSpent, key(tenant, id, p), 0)),
			recv:  readReceived(rd, key(tenant, id, p)),
			total: readReceived(rd, key(tenant, id, "all")),
		}
		c.members.Keep(rd, string(k), mb)
	}
	return mb, nil
}
