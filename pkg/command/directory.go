package command

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Member is a member as the write side knows it.
type Member struct {
	event.MemberUpserted
	Left    bool
	EventID string
	Seq     uint64
}

// Location is the member's time zone, UTC when it cannot be loaded.
// Zones are loaded once per name: time.LoadLocation reads the zone file on
// every call.
func (m Member) Location() *time.Location {
	if loc, ok := zoneCache.Load(m.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.UTC
	}
	zoneCache.Store(m.TimeZone, loc)
	return loc
}

var zoneCache sync.Map // zone name -> *time.Location

type tenantDir struct {
	members   map[string]Member
	policy    *event.PolicySet
	policyID  string
	policySeq uint64
	boosts    map[string]event.AllowanceBoosted
	prefs     map[string]Preferences
}

// Preferences are a member's nudge preferences as stored.
type Preferences struct {
	event.PreferencesSet
	EventID string
	Seq     uint64
}

// Directory is the write side's in-memory reference data: members, policies
// and boosts of every tenant, rebuilt from the stream at start and kept fresh
// by tailing it. Commands use it to validate (is the recipient an active
// member?) but never to enforce an invariant: the allowance is decided from
// the giver's own events under a conditional append.
//
// Events this process appends are applied at once (Observe), so a member
// created by one request can receive kudos in the next. Each key applies only
// events newer than the one it holds, so the tail and Observe may race.
type Directory struct {
	mu      sync.RWMutex
	tenants map[string]*tenantDir
	ready   chan struct{}
	kudos   *kudosIndex
	db      *indexDB // the indexes' database; nil: they are in memory
}

// NewDirectory returns an empty directory; Run fills it. Its kudos index,
// and the rating index of each service made with it, keep their entries
// in memory, growing with the kudos and ratings in the stream:
// OpenDirectory keeps them on disk.
func NewDirectory() *Directory {
	return &Directory{tenants: map[string]*tenantDir{}, ready: make(chan struct{}), kudos: newKudosIndex(newKudosMem())}
}

// OpenDirectory returns an empty directory whose kudos index, and the
// rating index of the services made with it, keep their entries in a
// database at path (indexDB), emptied first, so that the memory they take
// does not grow with the kudos and ratings the stream holds. Close closes
// it.
func OpenDirectory(path string, log *slog.Logger) (*Directory, error) {
	db, err := openIndexDB(path, log)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	d := NewDirectory()
	d.db = db
	d.kudos = newKudosIndex(kudosDisk{db})
	return d, nil
}

// ratingTable is where a service made with d keeps its rating index: a
// table of its own.
func (d *Directory) ratingTable() ratingTable {
	if d.db == nil {
		return ratingMem{}
	}
	return ratingDisk{db: d.db, ns: d.db.namespace()}
}

// Close releases the index database, when the directory has one.
func (d *Directory) Close() error {
	if d.db == nil {
		return nil
	}
	return d.db.close()
}

// Ready is closed once the directory has caught up with the stream as it was
// when Run started.
func (d *Directory) Ready() <-chan struct{} { return d.ready }

// Run tails the directory subjects of the stream until ctx ends. It returns
// nil on cancellation.
func (d *Directory) Run(ctx context.Context, store *eventstore.Store, log *slog.Logger) error {
	d.kudos.setLogger(log)
	target, err := store.LastSeq(ctx, event.DirectoryFilters...)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	if target == 0 {
		close(d.ready)
	}
	err = tail(ctx, store, event.DirectoryFilters, func(m jetstream.Msg, seq uint64) {
		env, err := event.Parse(m.Data())
		if err == nil {
			err = d.Observe(eventstore.Recorded{Envelope: env, Subject: m.Subject(), Seq: seq})
		}
		if err != nil {
			log.Warn("directory: skipping event", "stream_seq", seq, "err", err)
		}
		if target != 0 && seq >= target {
			target = 0
			close(d.ready)
		}
	})
	// Cancelled while it was still setting up the tail (an empty stream
	// makes the directory ready at once): that is a stop, not a failure.
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("directory: %w", err)
	}
	return nil
}

func (d *Directory) tenant(t string) *tenantDir {
	td := d.tenants[t]
	if td == nil {
		td = &tenantDir{members: map[string]Member{}, boosts: map[string]event.AllowanceBoosted{}, prefs: map[string]Preferences{}}
		d.tenants[t] = td
	}
	return td
}

// Observe applies a stored directory event; other events are ignored.
func (d *Directory) Observe(rec eventstore.Recorded) error {
	data, err := rec.Decode()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	td := d.tenant(rec.Tenant)
	switch e := data.(type) {
	case event.MemberUpserted:
		if cur, ok := td.members[e.Member]; !ok || cur.Seq < rec.Seq {
			td.members[e.Member] = Member{MemberUpserted: e, EventID: rec.ID, Seq: rec.Seq}
		}
	case event.MemberLeft:
		if cur, ok := td.members[e.Member]; ok && cur.Seq < rec.Seq {
			cur.Left, cur.Active, cur.EventID, cur.Seq = true, false, rec.ID, rec.Seq
			td.members[e.Member] = cur
		}
	case event.PolicySet:
		if td.policySeq < rec.Seq {
			td.policy, td.policyID, td.policySeq = &e, rec.ID, rec.Seq
		}
	case event.AllowanceBoosted:
		td.boosts[e.BoostID] = e
	case event.PreferencesSet:
		if cur, ok := td.prefs[e.Member]; !ok || cur.Seq < rec.Seq {
			td.prefs[e.Member] = Preferences{PreferencesSet: e, EventID: rec.ID, Seq: rec.Seq}
		}
	}
	return nil
}

// read calls f with the tenant's directory under the read lock and returns
// what it returns; for a tenant the directory does not know, it returns
// none without calling f.
func read[T any](d *Directory, tenant string, none T, f func(td *tenantDir) T) T {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if td := d.tenants[tenant]; td != nil {
		return f(td)
	}
	return none
}

// lookup returns the entry of key in the map of the tenant's directory
// that of picks.
func lookup[V any](d *Directory, tenant, key string, of func(td *tenantDir) map[string]V) (v V, ok bool) {
	ok = read(d, tenant, false, func(td *tenantDir) bool {
		v, ok = of(td)[key]
		return ok
	})
	return v, ok
}

// Preferences returns a member's nudge preferences, if they set any.
func (d *Directory) Preferences(tenant, member string) (Preferences, bool) {
	return lookup(d, tenant, member, func(td *tenantDir) map[string]Preferences { return td.prefs })
}

// Tenants lists the tenants the directory knows.
func (d *Directory) Tenants() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, 0, len(d.tenants))
	for t := range d.tenants {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Members lists the tenant's active members, by id.
func (d *Directory) Members(tenant string) []Member {
	return read(d, tenant, nil, func(td *tenantDir) []Member {
		out := make([]Member, 0, len(td.members))
		for _, m := range td.members {
			if m.Active && !m.Left {
				out = append(out, m)
			}
		}
		slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Member, b.Member) })
		return out
	})
}

// TeamMembers lists a team's active members, by id: a team is small where
// a tenant may not be.
func (d *Directory) TeamMembers(tenant, team string) []Member {
	return read(d, tenant, nil, func(td *tenantDir) []Member {
		var out []Member
		for _, m := range td.members {
			if m.Active && !m.Left && m.Team == team {
				out = append(out, m)
			}
		}
		slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Member, b.Member) })
		return out
	})
}

// Member returns a member of the tenant.
func (d *Directory) Member(tenant, id string) (Member, bool) {
	return lookup(d, tenant, id, func(td *tenantDir) map[string]Member { return td.members })
}

// MemberWhere returns the tenant's member who has not left for whom match
// is true (the first by id when several are), as the chat integrations
// find a member by their Slack or Teams identity or e-mail.
func (d *Directory) MemberWhere(tenant string, match func(Member) bool) (Member, bool) {
	found := read(d, tenant, Member{}, func(td *tenantDir) Member {
		var found Member
		for _, m := range td.members {
			if !m.Left && match(m) && (found.Member == "" || m.Member < found.Member) {
				found = m
			}
		}
		return found
	})
	return found, found.Member != ""
}

// Policy returns the tenant's policy, or the default.
func (d *Directory) Policy(tenant string) event.PolicySet {
	// Observe replaces a tenant's policy, never changes one in place: the
	// pointer may be followed outside the lock.
	if p := read(d, tenant, nil, func(td *tenantDir) *event.PolicySet { return td.policy }); p != nil {
		return *p
	}
	return event.DefaultPolicy()
}

// Boosts returns the tenant's boosts for a member or their team.
func (d *Directory) Boosts(tenant string, m Member) []event.AllowanceBoosted {
	return read(d, tenant, nil, func(td *tenantDir) []event.AllowanceBoosted {
		var out []event.AllowanceBoosted
		for _, b := range td.boosts {
			if b.Member == m.Member || (b.Team != "" && b.Team == m.Team) {
				out = append(out, b)
			}
		}
		return out
	})
}

// TeamExists reports whether any member of the tenant, active or not, is in
// the team.
func (d *Directory) TeamExists(tenant, team string) bool {
	return read(d, tenant, false, func(td *tenantDir) bool {
		for _, m := range td.members {
			if m.Team == team {
				return true
			}
		}
		return false
	})
}

// maxChain bounds a walk up a manager chain, so that a loop ends.
const maxChain = 32

// ManagedBy reports whether boss is member id's manager or a manager above
// them.
func (d *Directory) ManagedBy(tenant, id, boss string) bool {
	return read(d, tenant, false, func(td *tenantDir) bool { return td.managedBy(id, boss) })
}

func (td *tenantDir) managedBy(id, boss string) bool {
	var seen [maxChain]string
	for i := range maxChain {
		m, ok := td.members[id]
		if !ok || m.Manager == "" || slices.Contains(seen[:i], m.Manager) {
			return false // no manager, or a chain that comes back on itself
		}
		if m.Manager == boss {
			return true
		}
		seen[i], id = m.Manager, m.Manager
	}
	return false
}

// ManagesTeam reports whether boss manages, directly or above, a member of
// team who has not left.
func (d *Directory) ManagesTeam(tenant, boss, team string) bool {
	return read(d, tenant, false, func(td *tenantDir) bool {
		for id, m := range td.members {
			if m.Team == team && !m.Left && td.managedBy(id, boss) {
				return true
			}
		}
		return false
	})
}

// Manages reports whether boss is the manager of a member who has not
// left.
func (d *Directory) Manages(tenant, boss string) bool {
	return read(d, tenant, false, func(td *tenantDir) bool {
		for _, m := range td.members {
			if m.Manager == boss && !m.Left {
				return true
			}
		}
		return false
	})
}

// ManagedTeams lists, sorted, the teams with a member who has not left and
// whom boss manages, directly or above.
func (d *Directory) ManagedTeams(tenant, boss string) []string {
	return read(d, tenant, []string(nil), func(td *tenantDir) []string {
		var teams []string
		for id, m := range td.members {
			if !m.Left && m.Team != "" && !slices.Contains(teams, m.Team) && td.managedBy(id, boss) {
				teams = append(teams, m.Team)
			}
		}
		slices.Sort(teams)
		return teams
	})
}
