package projtest

import (
	"net/http"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Tenant is the tenant a World seeds.
const Tenant = "acme"

// World is an engine, with tenant acme's members seeded under a policy,
// for the tests that write through the API and read their writes back.
type World struct {
	*enginetest.Engine
	Admin string            // admin of acme, bound to no member
	Keys  map[string]string // member keys of acme by member, and what a test adds
	Last  uint64            // stream sequence of the last write
}

// Start starts an engine running mods on clock now (the wall clock when
// nil), seeds members in acme and makes a key of acme's admin and a member
// key for each member.
func Start(t *testing.T, now func() time.Time, members []enginetest.Member, mods ...projector.Module) *World {
	t.Helper()
	e := enginetest.Start(t, engine.Config{Now: now, Modules: mods})
	w := &World{Engine: e, Admin: e.Key(t, Tenant, auth.Admin, ""), Keys: map[string]string{}}
	e.Seed(t, w.Admin, members...)
	for _, m := range members {
		w.Keys[m.ID] = e.Key(t, Tenant, auth.Member, m.ID)
	}
	return w
}

// NewWorld is Start, and acme's policy set to policy.
func NewWorld(t *testing.T, now func() time.Time, policy string, members []enginetest.Member, mods ...projector.Module) *World {
	t.Helper()
	w := Start(t, now, members, mods...)
	w.Last = w.Do(t, "PUT", "/v1/policy", w.Admin, policy).Want(t, http.StatusCreated).Seq()
	return w
}

// Retract retracts kudos id with member's key.
func (w *World) Retract(t *testing.T, member, id string) {
	t.Helper()
	w.Last = w.Do(t, "DELETE", "/v1/kudos/"+id, w.Keys[member], map[string]any{"reason": "sent to the wrong person"}).Want(t, http.StatusCreated).Seq()
}
