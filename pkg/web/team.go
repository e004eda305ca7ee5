package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// chartWeeks is how many weeks the team view's density chart spans.
const chartWeeks = 12

// teams lists the teams the viewer manages; with one, it opens its view.
func (s *Server) teams(w http.ResponseWriter, r *http.Request, v *viewer) {
	teams := s.cfg.Directory.ManagedTeams(v.Tenant, v.Member)
	if len(teams) == 1 {
		http.Redirect(w, r, "/team/"+url.PathEscape(teams[0]), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "teams", v, map[string]any{"Teams": teams})
}

// teamData is the team view: the figures of the last 30 days, a chart of
// the last 12 weeks, and who has not been recognised lately.
type teamData struct {
	Team    string
	Now     apiv1.TeamDensity
	Even    float64 // 1 - Gini: how evenly recognition is spread
	Mix     []share
	Values  []share
	Chart   chart
	Gaps    []gapView
	GapDays int
	// GapsHidden: the viewer may see the team's totals (a member of it)
	// but not the people without recognition (a manager's).
	GapsHidden bool
}

type share struct {
	Label string
	Count int
	Pct   int
}

type gapView struct {
	ID, Name string
	apiv1.Gap
}

// team shows one team to a viewer the API lets read its figures: its
// managers (the gap list only of the people they manage), and, without
// the gap list, its members. Nothing here ranks people: the gap list is
// in name order, and no one's count is shown beside another's.
func (s *Server) team(w http.ResponseWriter, r *http.Request, v *viewer) {
	team := r.PathValue("team")
	base := "/v1/teams/" + url.PathEscape(team)
	d := teamData{Team: team, GapDays: 14}
	if p := s.call(r, v, http.MethodGet, base+"/density?window=30d", nil, &d.Now); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	d.Even = 1 - d.Now.Gini
	d.Mix = shares(map[string]int{
		"Between peers": d.Now.Direction.Peer, "From a manager": d.Now.Direction.Manager,
		"From customers": d.Now.Direction.Customer, "From another team": d.Now.Direction.CrossTeam,
	})
	d.Values = shares(d.Now.Values)

	weeks, err := s.weeks(r, v, base)
	if err != nil {
		s.failProblem(w, r, v, err)
		return
	}
	d.Chart = weekChart(weeks)

	var gaps apiv1.Gaps
	switch p := s.call(r, v, http.MethodGet, fmt.Sprintf("%s/gaps?days=%d", base, d.GapDays), nil, &gaps); {
	case p == nil:
		for _, g := range gaps.Members {
			d.Gaps = append(d.Gaps, gapView{ID: g.Member, Name: s.name(v.Tenant, g.Member), Gap: g})
		}
		slices.SortFunc(d.Gaps, func(a, b gapView) int { return strings.Compare(a.Name, b.Name) })
	case p.Status == http.StatusForbidden:
		d.GapsHidden = true
	default:
		s.failProblem(w, r, v, p)
		return
	}
	s.render(w, r, http.StatusOK, "team", v, d)
}

// weekFigures is one week of the chart.
type weekFigures struct {
	Week     string // "2026-W48"
	Monday   time.Time
	Received int
	Reach    float64
}

// weeks reads the team's figures for each of the last chartWeeks ISO
// weeks, oldest first, the current one last.
func (s *Server) weeks(r *http.Request, v *viewer, base string) ([]weekFigures, *apiv1.Problem) {
	now := s.now().UTC()
	out := make([]weekFigures, 0, chartWeeks)
	for i := chartWeeks - 1; i >= 0; i-- {
		day := now.AddDate(0, 0, -7*i)
		y, wk := day.ISOWeek()
		name := fmt.Sprintf("%04d-W%02d", y, wk)
		q := "?window=week&week=" + name
		if i == 0 {
			q = "?window=week" // this week, each member's own
		}
		var td apiv1.TeamDensity
		if p := s.call(r, v, http.MethodGet, base+"/density"+q, nil, &td); p != nil {
			return nil, p
		}
		monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		out = append(out, weekFigures{Week: name, Monday: monday, Received: td.Received, Reach: td.Reach})
	}
	return out, nil
}

// shares turns counts into labelled shares, largest first, ties by label.
func shares(counts map[string]int) []share {
	total := 0
	for _, n := range counts {
		total += n
	}
	var out []share
	for label, n := range counts {
		sh := share{Label: label, Count: n}
		if total > 0 {
			sh.Pct = (100*n + total/2) / total
		}
		out = append(out, sh)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Label < out[j].Label
	})
	return out
}
