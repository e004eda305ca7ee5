package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// spanLine reads the time figures cover.
func spanLine(s apiv1.Span) string {
	switch {
	case s.Week != "":
		return "week " + s.Week + " (in each member's own time zone)"
	case s.Window == "week":
		return "this week up to " + s.To.Format(time.RFC3339) + " (in each member's own time zone)"
	}
	from := ""
	if s.From != nil {
		from = "after " + s.From.Format(time.RFC3339) + ", "
	}
	return fmt.Sprintf("%s (%sup to %s)", s.Window, from, s.To.Format(time.RFC3339))
}

// directionLine reads where moments came from.
func directionLine(d apiv1.Direction) string {
	return fmt.Sprintf("peer %d, manager %d, customer %d, other teams %d", d.Peer, d.Manager, d.Customer, d.CrossTeam)
}

func valuesLine(v map[string]int) string {
	if len(v) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, v[k]))
	}
	return strings.Join(parts, ", ")
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// writeTimeliness writes how soon ratings turned into kudos, if any did.
func writeTimeliness(w io.Writer, t apiv1.Timeliness) {
	if t.Count > 0 {
		fmt.Fprintf(w, "  customer ratings turned into kudos: %d, after a median %s s (p90 %s s, max %s s)\n",
			t.Count, num(t.MedianSeconds), num(t.P90Seconds), num(t.MaxSeconds))
	}
}

// writeFigures writes a group's figures.
func writeFigures(w io.Writer, f apiv1.Figures) {
	fmt.Fprintf(w, "  %d active members; received %d moments (%s per member per week), gave %d (%s)\n",
		f.Members, f.Received, num(f.ReceivedPerMemberPerWeek), f.Given, num(f.GivenPerMemberPerWeek))
	fmt.Fprintf(w, "  reach %s (%d of %d recognised), %s distinct givers per person recognised, gini %s\n",
		num(f.Reach), f.Recognised, f.Members, num(f.DistinctGiversPerReceiver), num(f.Gini))
	fmt.Fprintf(w, "  from: %s\n  values: %s\n", directionLine(f.Direction), valuesLine(f.Values))
	writeTimeliness(w, f.Timeliness)
}

func (c *cli) density(ctx context.Context, args []string) error {
	s := &spec{
		name: "density",
		args: "[--team ID | --member ID] [--window 1d|7d|30d|week] [--week 2026-W48] [--min-seq N]",
		about: `Show recognition density: how often people are recognised and recognise,
how many of them, from where, for which values and how evenly. Without
--team or --member, the tenant's, team by team (admin and analyst keys).
A team's is for its members and the managers above them; a member's for
them and the managers above them. There is no ranking of people.`,
	}
	fs := s.flags()
	team := fs.String("team", "", "a team's density")
	member := fs.String("member", "", "a member's density")
	window := fs.String("window", "7d", "1d, 7d, 30d (rolling, up to now) or week (a calendar week)")
	week := fs.String("week", "", "with --window week, an ISO week such as 2026-W48 (default: this week)")
	minSeq := fs.Uint64("min-seq", 0, "wait until the figures reflect the write at this stream sequence")
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	if *team != "" && *member != "" {
		return &usageError{spec: s, msg: "--team and --member: choose one"}
	}
	q := url.Values{"window": {*window}}
	if *week != "" {
		q.Set("week", *week)
	}
	if *minSeq > 0 {
		q.Set("min_seq", strconv.FormatUint(*minSeq, 10))
	}
	path := "/v1/density"
	switch {
	case *team != "":
		path = "/v1/teams/" + seg(*team) + "/density"
	case *member != "":
		path = "/v1/members/" + seg(*member) + "/density"
	}
	path += "?" + q.Encode()
	switch {
	case *member != "":
		var m apiv1.MemberDensity
		if done, err := c.readOrPrint(ctx, path, &m); done {
			return err
		}
		fmt.Fprintf(c.stdout, "member %s (%s, %s), %s\n", m.Member, m.Team, m.TimeZone, spanLine(m.Span))
		fmt.Fprintf(c.stdout, "  received %d moments (%s per week) from %d people, gave %d (%s per week)\n",
			m.Received, num(m.ReceivedPerWeek), m.DistinctGivers, m.Given, num(m.GivenPerWeek))
		fmt.Fprintf(c.stdout, "  from: %s\n  values: %s\n", directionLine(m.Direction), valuesLine(m.Values))
		writeTimeliness(c.stdout, m.Timeliness)
		last := "never"
		if m.LastRecognisedAt != nil {
			last = m.LastRecognisedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(c.stdout, "  last recognised: %s\n", last)
	case *team != "":
		var d apiv1.TeamDensity
		if done, err := c.readOrPrint(ctx, path, &d); done {
			return err
		}
		fmt.Fprintf(c.stdout, "team %s, %s\n", d.Team, spanLine(d.Span))
		writeFigures(c.stdout, d.Figures)
	default:
		var d apiv1.TenantDensity
		if done, err := c.readOrPrint(ctx, path, &d); done {
			return err
		}
		fmt.Fprintf(c.stdout, "all teams, %s\n", spanLine(d.Span))
		writeFigures(c.stdout, d.Figures)
		for _, t := range d.Teams {
			fmt.Fprintf(c.stdout, "team %s\n", t.Team)
			writeFigures(c.stdout, t.Figures)
		}
	}
	return nil
}

func (c *cli) gaps(ctx context.Context, args []string) error {
	s := &spec{
		name: "gaps",
		args: "TEAM [--days N]",
		about: `List a team's active members who were not recognised in the last N days
(default 14), with when they last were. Members who joined less than N days
ago are left out. For the managers above the team's members (who see their
own people), admins and analysts.`,
		pos: []string{"TEAM"},
	}
	days := s.flags().Int("days", 14, "days without recognition, 1 to 365")
	pos, err := c.parseRead(s, args)
	if err != nil {
		return err
	}
	path := "/v1/teams/" + seg(pos[0]) + "/gaps?days=" + strconv.Itoa(*days)
	var g apiv1.Gaps
	if done, err := c.readOrPrint(ctx, path, &g); done {
		return err
	}
	if len(g.Members) == 0 {
		fmt.Fprintf(c.stderr, "note: no gaps on team %s among the members this key sees: each was recognised in the last %d days or joined since\n", g.Team, g.Days)
		return nil
	}
	for _, m := range g.Members {
		if m.LastRecognisedAt == nil {
			fmt.Fprintf(c.stdout, "%s: never recognised, %d days since joining\n", m.Member, m.DaysWithout)
		} else {
			fmt.Fprintf(c.stdout, "%s: %d days since last recognised (%s)\n", m.Member, m.DaysWithout, m.LastRecognisedAt.Format(time.RFC3339))
		}
	}
	return nil
}
