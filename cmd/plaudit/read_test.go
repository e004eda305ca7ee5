package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/projector"
	allowanceprojection "github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
)

// startProjecting starts a real engine running the feed, allowance and
// density projections, on the tests' clock, stopped when the test ends.
func startProjecting(t *testing.T) *server {
	t.Helper()
	return startEngineWith(t, "", "", feed.Module(), allowanceprojection.Module(), density.Module())
}

var seqOf = regexp.MustCompile(`\(seq (\d+)\)`)

// lastSeq is the stream sequence a write printed.
func lastSeq(t *testing.T, r result) string {
	t.Helper()
	return printed(t, r, seqOf)
}

func TestFeedAndBalance(t *testing.T) {
	t.Parallel()
	s := startProjecting(t)
	seedMembers(t, s) // ana and bo in support-emea (Lisbon), bo managed by ana; cy in support-apac (Singapore)
	s.cli(t, "policy", "set", "--allowance", "10", "--values", "ownership,kindness").ok(t)
	cy := strings.TrimSpace(s.cli(t, "key", "create", "--role", "member", "--member", "cy").ok(t).stdout)
	ana := strings.TrimSpace(s.cli(t, "key", "create", "--role", "member", "--member", "ana").ok(t).stdout)

	k1 := giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo,cy", "--message", thanks, "--values", "ownership", "--points", "2"))
	k2 := giveOK(t, s.cli(t, "give", "--from", "bo", "--to", "ana", "--message", thanks2, "--values", "kindness"))
	k3 := giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "cy", "--message", "Thanks for the quiet fix to the escalation macro", "--private"))
	s.cli(t, "react", k1, "🎉", "--from", "cy").ok(t)
	seq := lastSeq(t, s.cli(t, "react", k1, ":clap:", "--from", "bo"))

	t.Run("tenant feed", func(t *testing.T) {
		r := s.cli(t, "feed", "--min-seq", seq).ok(t)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("feed printed %q, want the two public kudos", r.stdout)
		}
		want := []string{
			` bo → ana (+1, kindness): "` + thanks2 + `" [id ` + k2 + `]`,
			` ana → bo, cy (+2 each, ownership): "` + thanks + `" :clap: 1 🎉 1 [id ` + k1 + `]`,
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], "2026-11-23T10:") || !strings.HasSuffix(lines[i], w) {
				t.Errorf("line %d: %q, want a time and %q", i, lines[i], w)
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr %q", r.stderr)
		}
	})
	t.Run("pages", func(t *testing.T) {
		r := s.cli(t, "feed", "--limit", "1").ok(t)
		m := regexp.MustCompile(`^more: repeat with --cursor ([0-9a-f]+)\n$`).FindStringSubmatch(r.stderr)
		if !strings.Contains(r.stdout, k2) || m == nil {
			t.Fatalf("first page %q, stderr %q", r.stdout, r.stderr)
		}
		r = s.cli(t, "feed", "--limit", "1", "--cursor", m[1]).ok(t)
		if !strings.Contains(r.stdout, k1) || r.stderr != "" {
			t.Errorf("last page %q, stderr %q", r.stdout, r.stderr)
		}
	})
	t.Run("member feeds", func(t *testing.T) {
		r := s.cliKey(t, cy, "feed", "--scope", "member:cy").ok(t)
		if !strings.Contains(r.stdout, `ana → cy (+1, private): "Thanks for the quiet fix`) || !strings.Contains(r.stdout, k1) {
			t.Errorf("cy's received feed %q", r.stdout)
		}
		r = s.cliKey(t, ana, "feed", "--scope", "member:ana", "--given").ok(t)
		if !strings.Contains(r.stdout, k3) || !strings.Contains(r.stdout, k1) || strings.Contains(r.stdout, k2) {
			t.Errorf("ana's given feed %q", r.stdout)
		}
		// The admin key is no one: the private kudos is not shown to it.
		if r = s.cli(t, "feed", "--scope", "member:cy").ok(t); strings.Contains(r.stdout, k3) || !strings.Contains(r.stdout, k1) {
			t.Errorf("cy's feed read by an admin %q", r.stdout)
		}
		if r = s.cli(t, "feed", "--scope", "team:support-emea", "--value", "kindness").ok(t); !strings.Contains(r.stdout, k2) || strings.Contains(r.stdout, k1) {
			t.Errorf("support-emea's kindness feed %q", r.stdout)
		}
		r = s.cli(t, "feed", "--scope", "team:support-apac", "--value", "curiosity").ok(t)
		if r.stdout != "" || r.stderr != "note: no kudos in this feed\n" {
			t.Errorf("an empty feed printed %q, stderr %q", r.stdout, r.stderr)
		}
	})
	t.Run("feed --json", func(t *testing.T) {
		r := s.cli(t, "feed", "--json", "--limit", "1").ok(t)
		var p apiv1.FeedPage
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || len(p.Items) != 1 || p.Items[0].ID != k2 || p.NextCursor == "" {
			t.Errorf("--json printed %q (%v)", r.stdout, err)
		}
	})
	t.Run("feed refused", func(t *testing.T) {
		tests := []struct {
			name string
			key  string
			args []string
			code int
			err  string
		}{
			{"another member's feed", cy, []string{"feed", "--scope", "member:ana"}, exitError, "error: Forbidden: "},
			{"bad scope", adminKey, []string{"feed", "--scope", "planet"}, exitError, "(field: scope)"},
			{"bad limit", adminKey, []string{"feed", "--limit", "0"}, exitError, "(field: limit)"},
			{"bad cursor", adminKey, []string{"feed", "--cursor", "nope"}, exitError, "(field: cursor)"},
			{"given without a member", adminKey, []string{"feed", "--given"}, exitUsage, "--given needs --scope member:ID"},
			{"a stray argument", adminKey, []string{"feed", "tenant"}, exitUsage, `unexpected argument "tenant"`},
		}
		for _, tt := range tests {
			r := s.cliKey(t, tt.key, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.err) || r.stdout != "" {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.name, r.code, r.stdout, r.stderr, tt.code, tt.err)
			}
		}
	})
	t.Run("density", func(t *testing.T) {
		// support-emea: ana (bo's manager) and bo. bo got k1 from ana, ana
		// got k2 from bo; ana gave k1 (two moments) and k3, bo k2.
		r := s.cli(t, "density", "--team", "support-emea", "--min-seq", seq).ok(t)
		lines := strings.SplitN(r.stdout, "\n", 2)
		if !strings.HasPrefix(lines[0], "team support-emea, 7d (after ") || len(lines) < 2 || lines[1] != ""+
			"  2 active members; received 2 moments (1 per member per week), gave 4 (2)\n"+
			"  reach 1 (2 of 2 recognised), 1 distinct givers per person recognised, gini 0\n"+
			"  from: peer 1, manager 1, customer 0, other teams 0\n"+
			"  values: kindness 1, ownership 1\n" {
			t.Errorf("team density printed\n%s", r.stdout)
		}
		// cy, in support-apac, got k1 and the private k3 from ana.
		r = s.cliKey(t, cy, "density", "--member", "cy", "--window", "30d").ok(t)
		if !strings.Contains(r.stdout, "  received 2 moments (0.4667 per week) from 1 people, gave 0 (0 per week)\n"+
			"  from: peer 0, manager 0, customer 0, other teams 2\n  values: ownership 1\n  last recognised: 2026-11-23T10:") {
			t.Errorf("cy's density printed\n%s", r.stdout)
		}
		r = s.cli(t, "density").ok(t)
		if !strings.Contains(r.stdout, "all teams, 7d") || !strings.Contains(r.stdout, "\nteam support-apac\n") || !strings.Contains(r.stdout, "\nteam support-emea\n") {
			t.Errorf("tenant density printed\n%s", r.stdout)
		}
		// Everyone joined minutes ago: no one is in a gap list yet.
		if r = s.cli(t, "gaps", "support-emea").ok(t); r.stdout != "" || r.stderr != "note: no gaps on team support-emea among the members this key sees: each was recognised in the last 14 days or joined since\n" {
			t.Errorf("gaps printed %q, stderr %q", r.stdout, r.stderr)
		}
		if r = s.cliKey(t, cy, "density", "--team", "support-emea"); r.code != exitError || !strings.Contains(r.stderr, "(field: team)") {
			t.Errorf("cy reading another team's density: exit %d, stderr %q", r.code, r.stderr)
		}
		if r = s.cli(t, "density", "--window", "2d"); r.code != exitError || !strings.Contains(r.stderr, "(field: window)") {
			t.Errorf("a bad window: exit %d, stderr %q", r.code, r.stderr)
		}
		if r = s.cli(t, "density", "--team", "a", "--member", "b"); r.code != exitUsage {
			t.Errorf("--team and --member: exit %d, stderr %q", r.code, r.stderr)
		}
		r = s.cli(t, "gaps", "support-emea", "--json").ok(t)
		var g apiv1.Gaps
		if err := json.Unmarshal([]byte(r.stdout), &g); err != nil || g.Team != "support-emea" || g.Days != 14 {
			t.Errorf("gaps --json printed %q (%v)", r.stdout, err)
		}
	})
	t.Run("balance", func(t *testing.T) {
		r := s.cli(t, "balance", "ana", "--min-seq", seq).ok(t)
		want := "ana: 5 of 10 points left (5 spent) in day:2026-11-23, Europe/Lisbon; resets at 2026-11-24T00:00:00Z\n" +
			"received: 1 points from 1 kudos this period, 1 points from 1 kudos all time\n"
		if r.stdout != want {
			t.Errorf("balance printed\n%s\nwant\n%s", r.stdout, want)
		}
		// cy's day ends at Singapore's midnight.
		r = s.cliKey(t, cy, "balance", "cy").ok(t)
		want = "cy: 10 of 10 points left (0 spent) in day:2026-11-23, Asia/Singapore; resets at 2026-11-24T00:00:00+08:00\n" +
			"received: 3 points from 2 kudos this period, 3 points from 2 kudos all time\n"
		if r.stdout != want {
			t.Errorf("cy's balance printed\n%s\nwant\n%s", r.stdout, want)
		}
		r = s.cli(t, "balance", "bo", "--json").ok(t)
		var b apiv1.Balance
		if err := json.Unmarshal([]byte(r.stdout), &b); err != nil || b.Member != "bo" || b.Spent != 1 || b.ReceivedTotal.Points != 2 {
			t.Errorf("--json printed %q (%v)", r.stdout, err)
		}
		if r = s.cliKey(t, cy, "balance", "ana"); r.code != exitError || !strings.Contains(r.stderr, "(field: member)") {
			t.Errorf("cy reading ana's balance: exit %d, stderr %q", r.code, r.stderr)
		}
		if r = s.cli(t, "balance", "nobody"); r.code != exitError || !strings.Contains(r.stderr, "error: Not found: ") {
			t.Errorf("an unknown member's balance: exit %d, stderr %q", r.code, r.stderr)
		}
		if r = s.cli(t, "balance"); r.code != exitUsage || !strings.Contains(r.stderr, "missing MEMBER") {
			t.Errorf("balance without a member: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

var projectionRow = regexp.MustCompile(`^(\w+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(yes|no)$`)

// projectionRows runs "plaudit projections" and returns its rows by name.
func projectionRows(t *testing.T, s *server) map[string][]string {
	t.Helper()
	r := s.cli(t, "projections").ok(t)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if !regexp.MustCompile(`^NAME\s+REPLICA\s+LAST SEQ\s+LAG\s+APPLIED\s+DEAD LETTERS\s+REBUILDING$`).MatchString(lines[0]) {
		t.Fatalf("header %q", lines[0])
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		m := projectionRow.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("row %q", l)
		}
		rows[m[1]] = m[2:]
	}
	return rows
}

func TestProjections(t *testing.T) {
	t.Parallel()
	s := startProjecting(t)
	seedMembers(t, s)
	giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo", "--message", thanks))
	seq := lastSeq(t, s.cli(t, "give", "--from", "bo", "--to", "cy", "--message", thanks2))
	// Every projection reads up to the last event.
	s.cli(t, "feed", "--min-seq", seq).ok(t)
	s.cli(t, "balance", "cy", "--min-seq", seq).ok(t)
	s.cli(t, "density", "--min-seq", seq).ok(t)

	rows := projectionRows(t, s)
	// Each: 3 members and 2 kudos (no policy set).
	want := map[string][]string{
		"allowance": {"0", seq, "0", "5", "0", "no"},
		"density":   {"0", seq, "0", "5", "0", "no"},
		"feed":      {"0", seq, "0", "5", "0", "no"},
	}
	if len(rows) != len(want) {
		t.Fatalf("projections %v, want %v", rows, want)
	}
	for name, w := range want {
		if strings.Join(rows[name], " ") != strings.Join(w, " ") {
			t.Errorf("projection %s: %v, want %v", name, rows[name], w)
		}
	}
	r := s.cli(t, "projections").ok(t)
	if i, j := strings.Index(r.stdout, "\nallowance"), strings.Index(r.stdout, "\nfeed"); i < 0 || j < i {
		t.Errorf("rows not sorted by name: %q", r.stdout)
	}
	r = s.cli(t, "projections", "--json").ok(t)
	var list struct{ Projections []projector.Status }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Projections) != len(want) {
		t.Errorf("--json printed %q (%v)", r.stdout, err)
	}

	if r = s.cli(t, "projections", "rebuild", "feed").ok(t); r.stdout != "rebuilding feed\n" {
		t.Errorf("rebuild printed %q", r.stdout)
	}
	waitFor(t, 10*time.Second, func() string { return "feed still rebuilding" }, func() bool {
		return projectionRows(t, s)["feed"][5] == "no"
	})
	if got := projectionRows(t, s)["feed"]; strings.Join(got, " ") != strings.Join(want["feed"], " ") {
		t.Errorf("after the rebuild: %v, want %v", got, want["feed"])
	}
	n, _ := strconv.Atoi(seq)
	next := lastSeq(t, s.cli(t, "give", "--from", "cy", "--to", "ana", "--message", thanks))
	if r = s.cli(t, "feed", "--min-seq", next).ok(t); strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("the rebuilt feed, after one more kudos (seq %s after %d): %q", next, n, r.stdout)
	}

	member := strings.TrimSpace(s.cli(t, "key", "create", "--role", "member", "--member", "cy").ok(t).stdout)
	for _, tt := range []struct {
		name string
		key  string
		args []string
		code int
		err  string
	}{
		{"an unknown projection", adminKey, []string{"projections", "rebuild", "nope"}, exitError, "error: Not found: no projection nope runs here (field: name)"},
		{"a member listing", member, []string{"projections"}, exitError, "(field: Authorization)"},
		{"a member rebuilding", member, []string{"projections", "rebuild", "feed"}, exitError, "(field: Authorization)"},
		{"rebuild without a name", adminKey, []string{"projections", "rebuild"}, exitUsage, "missing NAME"},
		{"a stray argument", adminKey, []string{"projections", "feed"}, exitUsage, `unexpected argument "feed"`},
	} {
		r := s.cliKey(t, tt.key, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.err) || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.name, r.code, r.stdout, r.stderr, tt.code, tt.err)
		}
	}
}
