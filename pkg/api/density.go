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
			writeProblem(w, notFound("id", "no "+idField+" "+id))
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

// serveDensity answers the density query of the request (densityRequest)
// to admins and analysts, and to other readers when may, which says why
// not otherwise, lets them.
func (g *Gateway) serveDensity(w http.ResponseWriter, r *http.Request, query, idField string, may func(auth.Principal, apiv1.DensityRequest) *apiv1.Problem) {
	p, req, ok := g.densityRequest(w, r, idField)
	if !ok {
		return
	}
	if !overseer(p.Role) {
		if refused := may(p, req); refused != nil {
			writeProblem(w, refused)
			return
		}
	}
	out, err := g.ask(r.Context(), query, req)
	g.answer(w, out, err)
}

// serveTeamDensity answers GET /v1/teams/{id}/density.
func (g *Gateway) serveTeamDensity(w http.ResponseWriter, r *http.Request) {
	g.serveDensity(w, r, apiv1.QueryDensityTeam, "team", func(p auth.Principal, req apiv1.DensityRequest) *apiv1.Problem {
		me, _ := g.cmd.Directory().Member(p.Tenant, p.Member)
		mine := p.Role.Personal() && me.Team == req.Team && !me.Left
		if !mine && (p.Role != auth.Manager || !g.cmd.Directory().ManagesTeam(p.Tenant, p.Member, req.Team)) {
			return forbidden("id", "a "+string(p.Role)+" key reads the density of its own team, or of teams it manages")
		}
		return nil
	})
}

// serveTenantDensity answers GET /v1/density.
func (g *Gateway) serveTenantDensity(w http.ResponseWriter, r *http.Request) {
	g.serveDensity(w, r, apiv1.QueryDensityTenant, "", func(auth.Principal, apiv1.DensityRequest) *apiv1.Problem {
		return forbidden("Authorization", "the tenant's density is for admin and analyst keys")
	})
}

// serveMemberDensity answers GET /v1/members/{id}/density.
func (g *Gateway) serveMemberDensity(w http.ResponseWriter, r *http.Request) {
	g.serveDensity(w, r, apiv1.QueryDensityMember, "member", func(p auth.Principal, req apiv1.DensityRequest) *apiv1.Problem {
		if !(p.Role.Personal() && p.Member == req.Member) &&
			!(p.Role == auth.Manager && g.cmd.Directory().ManagedBy(p.Tenant, req.Member, p.Member)) {
			return forbidden("id", "a member's density is for them, the managers above them, admins and analysts")
		}
		return nil
	})
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
