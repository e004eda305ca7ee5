package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
)

// Who sees what of the density figures. Figures about a person (a member's
// own, a gap list naming people) are for that person, the managers above
// them, admins and analysts. A team's totals are also for its members. The
// tenant's, team by team, are for admins and analysts. There is no ranking
// of people anywhere: see the README.

// overseer reports whether the role reads everyone's figures.
func overseer(r auth.Role) bool { return r == auth.Admin || r == auth.Analyst }

func (g *Gateway) densityRequest(w http.ResponseWriter, r *http.Request, idField string) (auth.Principal, apiv1.DensityRequest, bool) {
	p, minSeq, ok := g.reader(w, r)
	if !ok {
		return p, apiv1.DensityRequest{}, false
	}
	q := r.URL.Query()
	req := apiv1.DensityRequest{Tenant: p.Tenant, Window: q.Get("window"), Week: q.Get("week"), MinSeq: minSeq}
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
	out, err := g.ask(r.Context(), apiv1.QueryDensityTeam, req)
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
	out, err := g.ask(r.Context(), apiv1.QueryDensityTenant, req)
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
	out, err := g.ask(r.Context(), apiv1.QueryDensityMember, req)
	g.answer(w, out, err)
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
	out, err := g.ask(r.Context(), apiv1.QueryDensityGaps, req)
	if err != nil || overseer(p.Role) {
		g.answer(w, out, err)
		return
	}
	var list apiv1.Gaps
	if err := json.Unmarshal(out, &list); err != nil {
		g.answer(w, nil, err)
		return
	}
	kept := list.Members[:0]
	for _, m := range list.Members {
		if dir.ManagedBy(p.Tenant, m.Member, p.Member) {
			kept = append(kept, m)
		}
	}
	list.Members = kept
	out, err = json.Marshal(list)
	g.answer(w, out, err)
}
