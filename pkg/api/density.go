package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
)

// Density query names; they match projections/density's.
const (
	QueryDensityTeam   = "density.team"
	QueryDensityTenant = "density.tenant"
	QueryDensityMember = "density.member"
	QueryDensityGaps   = "density.gaps"
)

// densityRequest mirrors density.Request.
type densityRequest struct {
	Tenant string `json:"tenant"`
	Team   string `json:"team,omitempty"`
	Member string `json:"member,omitempty"`
	Window string `json:"window,omitempty"`
	Week   string `json:"week,omitempty"`
	Days   int    `json:"days,omitempty"`
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// Who sees what of the density figures. Figures about a person (a member's
// own, a gap list naming people) are for that person, the managers above
// them, admins and analysts. A team's totals are also for its members. The
// tenant's, team by team, are for admins and analysts. There is no ranking
// of people anywhere: see the README.

// overseer reports whether the role reads everyone's figures.
func overseer(r auth.Role) bool { return r == auth.Admin || r == auth.Analyst }

func (g *Gateway) densityRequest(w http.ResponseWriter, r *http.Request, idField string) (auth.Principal, densityRequest, bool) {
	p, minSeq, ok := g.reader(w, r)
	if !ok {
		return p, densityRequest{}, false
	}
	q := r.URL.Query()
	req := densityRequest{Tenant: p.Tenant, Window: q.Get("window"), Week: q.Get("week"), MinSeq: minSeq}
	if idField != "" {
		id := r.PathValue("id")
		if !event.ValidID(id) {
			writeProblem(w, problem(http.StatusNotFound, "not-found", "Not found", "id", "no "+idField+" "+id))
			return p, req, false
		}
		if idField == "team" {
			req.Team = id
		} else {
			req.Member = id
		}
	}
	return p, req, true
}

// serveTeamDensity answers GET /v1/teams/{id}/density.
func (g *Gateway) serveTeamDensity(w http.ResponseWriter, r *http.Request) {
	p, req, ok := g.densityRequest(w, r, "team")
	if !ok {
		return
	}
	if !overseer(p.Role) {
		me, _ := g.cmd.Directory().Member(p.Tenant, p.Member)
		mine := p.Role.Personal() && me.Team == req.Team && !me.Left
		if !mine && (p.Role != auth.Manager || !g.cmd.Directory().ManagesTeam(p.Tenant, p.Member, req.Team)) {
			writeProblem(w, forbidden("id", "a "+string(p.Role)+" key reads the density of its own team, or of teams it manages"))
			return
		}
	}
	out, err := g.ask(r.Context(), QueryDensityTeam, req)
	g.answer(w, out, err)
}

// serveTenantDensity answers GET /v1/density.
func (g *Gateway) serveTenantDensity(w http.ResponseWriter, r *http.Request) {
	p, req, ok := g.densityRequest(w, r, "")
	if !ok {
		return
	}
	if !overseer(p.Role) {
		writeProblem(w, forbidden("Authorization", "the tenant's density is for admin and analyst keys"))
		return
	}
	out, err := g.ask(r.Context(), QueryDensityTenant, req)
	g.answer(w, out, err)
}

// serveMemberDensity answers GET /v1/members/{id}/density.
func (g *Gateway) serveMemberDensity(w http.ResponseWriter, r *http.Request) {
	p, req, ok := g.densityRequest(w, r, "member")
	if !ok {
		return
	}
	if !overseer(p.Role) && !(p.Role.Personal() && p.Member == req.Member) &&
		!(p.Role == auth.Manager && g.cmd.Directory().ManagedBy(p.Tenant, req.Member, p.Member)) {
		writeProblem(w, forbidden("id", "a member's density is for them, the managers above them, admins and analysts"))
		return
	}
	out, err := g.ask(r.Context(), QueryDensityMember, req)
	g.answer(w, out, err)
}

// gapList mirrors density.Gaps, for filtering by who may see whom.
type gapList struct {
	Team    string            `json:"team"`
	Days    int               `json:"days"`
	AsOf    json.RawMessage   `json:"as_of"`
	Members []json.RawMessage `json:"members"`
}

// serveGaps answers GET /v1/teams/{id}/gaps: admins and analysts see the
// whole list, a manager the members they manage.
func (g *Gateway) serveGaps(w http.ResponseWriter, r *http.Request) {
	p, req, ok := g.densityRequest(w, r, "team")
	if !ok {
		return
	}
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeProblem(w, badRequest("days", "days must be a number of days from 1 to 365"))
			return
		}
		req.Days = n
	}
	dir := g.cmd.Directory()
	if !overseer(p.Role) && (p.Role != auth.Manager || !dir.ManagesTeam(p.Tenant, p.Member, req.Team)) {
		writeProblem(w, forbidden("id", "a team's recognition gaps are for the managers above its members, admins and analysts"))
		return
	}
	out, err := g.ask(r.Context(), QueryDensityGaps, req)
	if err != nil || overseer(p.Role) {
		g.answer(w, out, err)
		return
	}
	var list gapList
	if err := json.Unmarshal(out, &list); err != nil {
		g.answer(w, nil, err)
		return
	}
	kept := list.Members[:0]
	for _, m := range list.Members {
		var who struct {
			Member string `json:"member"`
		}
		if json.Unmarshal(m, &who) == nil && dir.ManagedBy(p.Tenant, who.Member, p.Member) {
			kept = append(kept, m)
		}
	}
	list.Members = kept
	out, err = json.Marshal(list)
	g.answer(w, out, err)
}
