package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The answers of the density endpoints, as the CLI prints them.
type (
	densitySpan struct {
		Window string     `json:"window"`
		Week   string     `json:"week"`
		From   *time.Time `json:"from"`
		To     time.Time  `json:"to"`
	}
	direction struct {
		Peer      int `json:"peer"`
		Manager   int `json:"manager"`
		Customer  int `json:"customer"`
		CrossTeam int `json:"cross_team"`
	}
	timeliness struct {
		Count         int     `json:"count"`
		MedianSeconds float64 `json:"median_seconds"`
		P90Seconds    float64 `json:"p90_seconds"`
		MaxSeconds    float64 `json:"max_seconds"`
	}
	figures struct {
		Members                   int            `json:"members"`
		Received                  int            `json:"received"`
		Given                     int            `json:"given"`
		ReceivedPerMemberPerWeek  float64        `json:"received_per_member_per_week"`
		GivenPerMemberPerWeek     float64        `json:"given_per_member_per_week"`
		Recognised                int            `json:"recognised"`
		Reach                     float64        `json:"reach"`
		DistinctGiversPerReceiver float64        `json:"distinct_givers_per_receiver"`
		Direction                 direction      `json:"direction"`
		Values                    map[string]int `json:"values"`
		Gini                      float64        `json:"gini"`
		Timeliness                timeliness     `json:"timeliness"`
	}
	teamDensity struct {
		Team string `json:"team"`
		densitySpan
		figures
	}
	tenantDensity struct {
		densitySpan
		figures
		Teams []teamDensity `json:"teams"`
	}
	memberDensity struct {
		Member   string `json:"member"`
		Team     string `json:"team"`
		TimeZone string `json:"time_zone"`
		densitySpan
		Received         int            `json:"received"`
		Given            int            `json:"given"`
		ReceivedPerWeek  float64        `json:"received_per_week"`
		GivenPerWeek     float64        `json:"given_per_week"`
		DistinctGivers   int            `json:"distinct_givers"`
		Direction        direction      `json:"direction"`
		Values           map[string]int `json:"values"`
		Timeliness       timeliness     `json:"timeliness"`
		LastRecognisedAt *time.Time     `json:"last_recognised_at"`
	}
	gapList struct {
		Team    string    `json:"team"`
		Days    int       `json:"days"`
		AsOf    time.Time `json:"as_of"`
		Members []struct {
			Member           string     `json:"member"`
			LastRecognisedAt *time.Time `json:"last_recognised_at"`
			DaysWithout      int        `json:"days_without"`
		} `json:"members"`
	}
)

func (s densitySpan) String() string {
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

func (d direction) String() string {
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

func (t timeliness) write(w io.Writer) {
	if t.Count > 0 {
		fmt.Fprintf(w, "  customer ratings turned into kudos: %d, after a median %s s (p90 %s s, max %s s)\n",
			t.Count, num(t.MedianSeconds), num(t.P90Seconds), num(t.MaxSeconds))
	}
}

func (f figures) write(w io.Writer) {
	fmt.Fprintf(w, "  %d active members; received %d moments (%s per member per week), gave %d (%s)\n",
		f.Members, f.Received, num(f.ReceivedPerMemberPerWeek), f.Given, num(f.GivenPerMemberPerWeek))
	fmt.Fprintf(w, "  reach %s (%d of %d recognised), %s distinct givers per person recognised, gini %s\n",
		num(f.Reach), f.Recognised, f.Members, num(f.DistinctGiversPerReceiver), num(f.Gini))
	fmt.Fprintf(w, "  from: %s\n  values: %s\n", f.Direction, valuesLine(f.Values))
	f.Timeliness.write(w)
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
	c.outputFlags(fs)
	if _, err := c.parse(s, args); err != nil {
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
		var m memberDensity
		if done, err := c.readOrPrint(ctx, path, &m); done {
			return err
		}
		fmt.Fprintf(c.stdout, "member %s (%s, %s), %s\n", m.Member, m.Team, m.TimeZone, m.densitySpan)
		fmt.Fprintf(c.stdout, "  received %d moments (%s per week) from %d people, gave %d (%s per week)\n",
			m.Received, num(m.ReceivedPerWeek), m.DistinctGivers, m.Given, num(m.GivenPerWeek))
		fmt.Fprintf(c.stdout, "  from: %s\n  values: %s\n", m.Direction, valuesLine(m.Values))
		m.Timeliness.write(c.stdout)
		last := "never"
		if m.LastRecognisedAt != nil {
			last = m.LastRecognisedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(c.stdout, "  last recognised: %s\n", last)
	case *team != "":
		var d teamDensity
		if done, err := c.readOrPrint(ctx, path, &d); done {
			return err
		}
		fmt.Fprintf(c.stdout, "team %s, %s\n", d.Team, d.densitySpan)
		d.figures.write(c.stdout)
	default:
		var d tenantDensity
		if done, err := c.readOrPrint(ctx, path, &d); done {
			return err
		}
		fmt.Fprintf(c.stdout, "all teams, %s\n", d.densitySpan)
		d.figures.write(c.stdout)
		for _, t := range d.Teams {
			fmt.Fprintf(c.stdout, "team %s\n", t.Team)
			t.figures.write(c.stdout)
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
	fs := s.flags()
	days := fs.Int("days", 14, "days without recognition, 1 to 365")
	c.outputFlags(fs)
	pos, err := c.parse(s, args)
	if err != nil {
		return err
	}
	path := "/v1/teams/" + seg(pos[0]) + "/gaps?days=" + strconv.Itoa(*days)
	var g gapList
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

// readOrPrint GETs path into v; with --json it prints the answer as it
// came instead. done is true when there is nothing left to print.
func (c *cli) readOrPrint(ctx context.Context, path string, v any) (done bool, err error) {
	raw, err := c.read(ctx, http.MethodGet, path, v)
	if err != nil {
		return true, err
	}
	if c.json {
		c.printRaw(raw)
		return true, nil
	}
	return false, nil
}
