package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/analytics"
)

// The operator's files in deploy/ that these tests check.
const (
	alertsFile     = "../../deploy/prometheus/alerts.yml"
	alertTestsFile = "../../deploy/prometheus/alerts_test.yml"
	dashboardFile  = "../../deploy/grafana/plaudit.json"
)

// promtool finds Prometheus' promtool. It fails the test, never skips it,
// when promtool is missing: make test installs Debian's prometheus
// package, which has it.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is missing (%v): run `make promtool` to install Debian's prometheus package", err)
	}
	return p
}

// runPromtool runs promtool with args and stdin, and fails the test with
// its output unless it succeeds.
func runPromtool(t *testing.T, stdin []byte, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestAlertRules: the alerting rules are valid and lint-free, and their
// unit tests pass: each alert fires on what it is meant for.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	runPromtool(t, nil, "check", "rules", alertsFile)
	runPromtool(t, nil, "test", "rules", alertTestsFile)
}

// TestMetricsAfterAMixedWorkload runs plauditd's engine as main wires it
// (every projection, analytics on a real ClickHouse, the integrations)
// through gives, refused gives, a rating, reads, NATS requests and a
// rate-limited request, then scrapes /metrics: promtool check metrics
// passes on it, and every metric the dashboard's queries and the alerts
// read is in it.
func TestMetricsAfterAMixedWorkload(t *testing.T) {
	t.Parallel()
	ch := testenv.NewClickHouse(t)
	db, err := ch.CreateDatabase("deploy")
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.Start(t, engine.Config{
		Modules:      modules(),
		Components:   map[string]engine.NewComponent{analytics.Name: analyticsComponent(ch.DSN(db))},
		Integrations: integrations(slack.DefaultAPIURL),
		Limits:       api.Limits{StreamsPerKey: 1},
	})
	workload(t, e)

	// The rules engine's kudos from the rating and the analytics
	// projector's first insert come after the writes.
	deadline := time.Now().Add(time.Minute)
	for {
		m := e.Metrics(t)
		if m[`plaudit_rules_rating_kudos_total{outcome="given"}`] >= 1 && m["plaudit_analytics_clickhouse_insert_seconds_count"] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rating kudos or no ClickHouse insert after a minute: %v, %v",
				m[`plaudit_rules_rating_kudos_total{outcome="given"}`], m["plaudit_analytics_clickhouse_insert_seconds_count"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	scrape := e.Do(t, "GET", "/metrics", "", nil).Want(t, http.StatusOK).Body
	runPromtool(t, scrape, "check", "metrics")
	series := seriesByName(scrape)
	total := 0
	for _, n := range series {
		total += n
	}
	t.Logf("/metrics after the workload: %d series of %d names", total, len(series))

	dashboard := dashboardExprs(t)
	for reader, exprs := range map[string][]string{"the dashboard": dashboard, "an alert": alertExprs(t)} {
		for _, x := range exprs {
			for _, name := range metricNames(x) {
				if series[name] == 0 {
					t.Errorf("%s reads %s, which /metrics lacks: %s", reader, name, x)
				}
			}
		}
	}
	checkDashboardPromQL(t, dashboard)
}

// workload drives e as its users do, over HTTP and NATS.
func workload(t *testing.T, e *enginetest.Engine) {
	t.Helper()
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon", Manager: "ana"},
	)
	ana := e.Key(t, "acme", auth.Member, "ana")
	give := map[string]any{"to": []string{"bo"}, "points": 2, "message": "Thanks for taking the escalated refund call at six"}
	e.Do(t, "POST", "/v1/kudos", ana, give).Want(t, http.StatusCreated)
	give["points"] = 4 // over the 5 points a day
	e.Do(t, "POST", "/v1/kudos", ana, give).WantProblem(t, http.StatusUnprocessableEntity, "points")
	give["points"], give["message"] = 1, "Great job, thanks so much everyone!!!"
	e.Do(t, "POST", "/v1/kudos", ana, give).WantProblem(t, http.StatusUnprocessableEntity, "message")
	publisher := e.Key(t, "acme", auth.Publisher, "")
	e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{
		"platform": "cxone", "interaction_id": "call-1", "agent": "bo", "score": 5, "scale": "stars_5",
		"channel": "voice", "handle_time_seconds": 200, "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
	}).Want(t, http.StatusCreated)
	e.CaughtUp(t, 30*time.Second)
	e.Do(t, "GET", "/v1/feed", ana, nil).Want(t, http.StatusOK)
	e.Do(t, "GET", "/v1/members/ana/balance", ana, nil).Want(t, http.StatusOK)
	e.Do(t, "GET", "/v1/keys", "plk_not-a-key-0123456789", nil).WantProblem(t, http.StatusUnauthorized, "Authorization")

	// Over NATS: a request of the command service.
	nc := e.Conn()
	m, err := nc.Request(natsauth.CommandSubject("acme", "members.upsert"), []byte(`{"name":"Cy","team":"sales","time_zone":"UTC"}`), 10*time.Second)
	if err != nil {
		t.Fatalf("nats request: %v", err)
	}
	if s := m.Header.Get(api.HeaderStatus); s != "401" {
		t.Errorf("a NATS request without a key: status %q", s)
	}

	// One live stream is a key's limit here: a second is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+ana)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	e.Do(t, "GET", "/v1/stream", ana, nil).WantProblem(t, http.StatusTooManyRequests, "Authorization")
}

// seriesByName counts the series of a scrape by the name of their
// samples: a histogram's are its _bucket, _sum and _count.
func seriesByName(scrape []byte) map[string]int {
	names := map[string]int{}
	for _, line := range strings.Split(string(scrape), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]]++
		}
	}
	return names
}

// dashboardExprs are the PromQL expressions of the dashboard: every
// panel's targets, in rows or not, and the metric of each
// label_values(metric, label) variable.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Targets []struct{ Expr string }
		Panels  json.RawMessage
	}
	var d struct {
		Panels     []panel
		Templating struct {
			List []struct {
				Type       string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out = append(out, tg.Expr)
			}
			var nested []panel
			if len(p.Panels) > 0 && json.Unmarshal(p.Panels, &nested) == nil {
				walk(nested)
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		arg, ok := strings.CutPrefix(v.Definition, "label_values(")
		metric, _, found := strings.Cut(arg, ",")
		if !ok || !found {
			t.Errorf("variable query %q is not label_values(metric, label)", v.Definition)
			continue
		}
		out = append(out, strings.TrimSpace(metric))
	}
	if len(out) < 20 {
		t.Fatalf("the dashboard has %d queries", len(out))
	}
	return out
}

// alertExprs are the expressions of the alerting rules: each "expr:",
// on its line or as the block that follows "expr: |".
func alertExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		rest, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "expr:")
		if !ok {
			continue
		}
		if rest = strings.TrimSpace(rest); rest != "|" {
			out = append(out, rest)
			continue
		}
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		var block []string
		for i+1 < len(lines) && len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent {
			i++
			block = append(block, strings.TrimSpace(lines[i]))
		}
		out = append(out, strings.Join(block, " "))
	}
	if len(out) == 0 {
		t.Fatalf("%s has no expr", alertsFile)
	}
	return out
}

// checkDashboardPromQL has promtool parse every query of the dashboard, as
// recording rules, with Grafana's variables given values.
func checkDashboardPromQL(t *testing.T, exprs []string) {
	t.Helper()
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, x := range exprs {
		q, _ := json.Marshal(vars.Replace(x)) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", i, q)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, nil, "check", "rules", "--lint=none", file)
}

// keywords are PromQL's operators and aggregations that are words.
var keywords = []string{"and", "or", "unless", "offset", "bool", "inf", "nan", "atan2",
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}

// metricNames returns the metric names a PromQL expression reads: its
// identifiers that are not functions (followed by "("), keywords, label
// names in braces or in by/without/on/ignoring/group_left/group_right
// lists, Grafana variables ($name), strings, numbers or durations.
func metricNames(expr string) []string {
	var out []string
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipTo := func(i int, close byte) int {
		for i < len(expr) && expr[i] != close {
			if expr[i] == '"' || expr[i] == '\'' || expr[i] == '`' {
				q := expr[i]
				for i++; i < len(expr) && expr[i] != q; i++ {
					if expr[i] == '\\' {
						i++
					}
				}
			}
			i++
		}
		return i
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipTo(i+1, c) + 1
		case c == '{':
			i = skipTo(i+1, '}') + 1
		case c == '[':
			i = skipTo(i+1, ']') + 1
		case c == '$' || c >= '0' && c <= '9' || c == '.':
			// A variable, a number or a duration (5m, 1e3, 0.99).
			for i++; i < len(expr) && (isPart(expr[i]) || expr[i] == '.'); i++ {
			}
		case isStart(c):
			j := i
			for j < len(expr) && isPart(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := j
			for k < len(expr) && expr[k] == ' ' {
				k++
			}
			switch {
			case slices.Contains([]string{"by", "without", "on", "ignoring", "group_left", "group_right"}, word):
				if k < len(expr) && expr[k] == '(' {
					j = skipTo(k+1, ')') + 1
				}
			case k < len(expr) && expr[k] == '(':
				// A function or an aggregation.
			case slices.Contains(keywords, strings.ToLower(word)):
				// An operator, or an aggregation before its by (…).
			default:
				out = append(out, word)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`max without (instance) (x) + count by (a) (y) + topk by (b) (3, z)`, []string{"x", "y", "z"}},
		{`sum by (transport, route) (rate(plaudit_api_requests_total{status_class=~"4xx|5xx",instance=~"$instance"}[$__rate_interval]))`,
			[]string{"plaudit_api_requests_total"}},
		{`histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket[5m]))) > 0.5`, []string{"a_seconds_bucket"}},
		{`a / on(instance) group_left(team) b unless c offset 5m or d > bool 1e3`, []string{"a", "b", "c", "d"}},
		{`sum(x) without (by_label) and ignoring (y) z{q="}by(w)"}`, []string{"x", "z"}},
		{`increase(plaudit_nats_reconnects_total[15m]) > 3`, []string{"plaudit_nats_reconnects_total"}},
		{`label_replace(m, "dst", "$1", "src", "(.*)")`, []string{"m"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%s) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}
