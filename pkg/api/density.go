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
// tenant's, team by team, are for admins and analysts (apiv1.Queries
// declares each). There is no ranking of people anywhere: see the README.

// overseer reports whether the role reads everyone's figures.
func overseer(r auth.Role) bool { return r == auth.Admin || r == auth.Analyst }

// serveGaps answers GET /v1/teams/{team}/gaps: admins and analysts see the
// whole list, a manager the members they manage.
func (g *Gateway) serveGaps(w http.ResponseWriter, r *http.Request) {
	p, minSeq, ok := g.reader(w, r)
	if !ok {
		return
	}
	req := apiv1.DensityRequest{Tenant: p.Tenant, Team: r.PathValue("team"), MinSeq: minSeq}
	if !event.ValidID(req.Team) {
		writeProblem(w, notFound("team", "no team "+req.Team))
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
		writeProblem(w, forbidden("team", "a team's recognition gaps are for the managers above its members, admins and analysts"))
		return
	}
	out, err := g.ask(r.Context(), apiv1.QueryDensityGaps, req)
	if err != nil || overseer(p.Role) {
		g.answer(r.Context(), w, out, err)
		return
	}
	var list apiv1.Gaps
	if err := json.Unmarshal(out, &list); err != nil {
		g.answer(r.Context(), w, nil, err)
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
	g.answer(r.Context(), w, out, err)
}
