package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// row is one line of the report: the benchmarks it covers, the benchmark it
// is a ratio to, and the ratio an issue asked for. Add a row with the
// benchmark that a new issue brings.
type row struct {
	Name     string         // what is measured, for the reader
	Bench    *regexp.Regexp // the benchmark names it reports (without the -GOMAXPROCS suffix)
	Baseline string         // the benchmark it is a ratio to; empty for none
	Target   float64        // the ratio to reach; 0 for none
}

// rawPublish is the baseline of the write path: raw JetStream async publish
// of kudos-sized messages with message ids.
const rawPublish = "BenchmarkRawJetStreamPublishAsync"

var rows = []row{
	{Name: "raw JetStream async publish", Bench: regexp.MustCompile(`^` + rawPublish + `$`), Baseline: rawPublish},
	{Name: "event store conditional append", Bench: regexp.MustCompile(`^BenchmarkAppendConditional$`), Baseline: rawPublish},
	{Name: "give kudos, in-process command", Bench: regexp.MustCompile(`^BenchmarkGiveKudosInProcess$`), Baseline: rawPublish, Target: 0.5},
	{Name: "give kudos, HTTP API", Bench: regexp.MustCompile(`^BenchmarkGiveKudosHTTP$`), Baseline: rawPublish},
}

// defaultPattern is a go test -bench pattern that runs every row's
// benchmarks: the top-level part of each row's regexp.
func defaultPattern(rows []row) string {
	var parts []string
	for _, r := range rows {
		top, _, _ := strings.Cut(r.Bench.String(), "/")
		parts = append(parts, top)
	}
	return strings.Join(parts, "|")
}

// result is one benchmark line of go test's output.
type result struct {
	Round   int    // of benchreport's -count rounds
	Name    string // without the -GOMAXPROCS suffix
	Procs   int
	N       int
	Metrics map[string]float64 // by unit: "ns/op", "events/s", …
}

// EventsPerSec is the benchmark's events/s metric, or else operations per
// second from ns/op.
func (r result) EventsPerSec() (float64, bool) {
	if v, ok := r.Metrics["events/s"]; ok {
		return v, true
	}
	if ns, ok := r.Metrics["ns/op"]; ok && ns > 0 {
		return 1e9 / ns, true
	}
	return 0, false
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// parse reads go test -bench output, copying every line to echo, and
// returns the benchmark results in order and the goos/goarch/cpu lines.
func parse(r io.Reader, echo io.Writer) ([]result, []string, error) {
	var (
		results []result
		env     []string
		pending string // a benchmark name whose figures are on a later line
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(echo, line)
		for _, k := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, k) && !slices.Contains(env, line) {
				env = append(env, line)
			}
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case strings.HasPrefix(f[0], "Benchmark") && len(f) == 1:
			pending = f[0]
			continue
		case strings.HasPrefix(f[0], "Benchmark"):
			pending = ""
		case pending != "" && isCount(f[0]):
			f = append([]string{pending}, f...)
			pending = ""
		default:
			continue
		}
		if res, ok := parseResult(f); ok {
			results = append(results, res)
		}
	}
	return results, env, sc.Err()
}

func isCount(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// parseResult reads "BenchmarkX-2 20000 9275 ns/op 107811 events/s".
func parseResult(f []string) (result, bool) {
	if len(f) < 4 || len(f)%2 != 0 {
		return result{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return result{}, false
	}
	res := result{Name: f[0], Procs: 1, N: n, Metrics: map[string]float64{}}
	if m := procsSuffix.FindStringSubmatch(f[0]); m != nil {
		res.Name = strings.TrimSuffix(f[0], m[0])
		res.Procs, _ = strconv.Atoi(m[1])
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return result{}, false
		}
		res.Metrics[f[i+1]] = v
	}
	return res, true
}

// summary is a benchmark's results over every round: the median of its
// events/s and the range.
type summary struct {
	Name          string
	Runs          int
	EPS, Min, Max float64
}

// summarize groups results by benchmark, in the order they first ran.
func summarize(results []result) []summary {
	var order []string
	byName := map[string][]float64{}
	for _, r := range results {
		eps, ok := r.EventsPerSec()
		if !ok {
			continue
		}
		if _, seen := byName[r.Name]; !seen {
			order = append(order, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], eps)
	}
	out := make([]summary, 0, len(order))
	for _, name := range order {
		v := byName[name]
		out = append(out, summary{Name: name, Runs: len(v), EPS: median(v), Min: slices.Min(v), Max: slices.Max(v)})
	}
	return out
}

func median(v []float64) float64 {
	v = slices.Sorted(slices.Values(v))
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// ratio is the median over the rounds of name's events/s over baseline's in
// the same round, or -1 when no round has both.
func ratio(results []result, name, baseline string) float64 {
	base := map[int]float64{}
	for _, r := range results {
		if eps, ok := r.EventsPerSec(); ok && r.Name == baseline && eps > 0 {
			base[r.Round] = eps
		}
	}
	var rs []float64
	for _, r := range results {
		if eps, ok := r.EventsPerSec(); ok && r.Name == name {
			if b, ok := base[r.Round]; ok {
				rs = append(rs, eps/b)
			}
		}
	}
	if len(rs) == 0 {
		return -1
	}
	return median(rs)
}

// line is one printed line of the report.
type line struct {
	name string
	summary
	ratio  float64 // < 0: no baseline figure
	target float64
}

// lines matches benchmarks to rows; benchmarks no row covers are listed
// after them, without a ratio.
func lines(rows []row, results []result) []line {
	sums := summarize(results)
	var out []line
	used := map[string]bool{}
	for _, rw := range rows {
		for _, s := range sums {
			if !rw.Bench.MatchString(s.Name) || used[s.Name] {
				continue
			}
			used[s.Name] = true
			out = append(out, line{name: rw.Name, summary: s, ratio: ratio(results, s.Name, rw.Baseline), target: rw.Target})
		}
	}
	for _, s := range sums {
		if !used[s.Name] {
			out = append(out, line{name: "(no row)", summary: s, ratio: -1})
		}
	}
	return out
}

// writeReport prints the table and, loudly, every target missed.
func writeReport(w io.Writer, rows []row, results []result, env []string, benchtime string) {
	ls := lines(rows, results)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Plaudit throughput (-benchtime %s; %s)\n", benchtime, strings.Join(env, ", "))
	if len(results) > 0 {
		fmt.Fprintf(w, "GOMAXPROCS %d; ratios are to raw JetStream async publish measured in this run", results[0].Procs)
		if len(ls) > 0 && ls[0].Runs > 1 {
			fmt.Fprintf(w, "; medians of %d rounds, each ratio to the raw figure of its own round", ls[0].Runs)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tevents/s\tratio to raw\ttarget\t\t")
	var missed []line
	for _, l := range ls {
		eps := fmt.Sprintf("%.0f", l.EPS)
		if l.Runs > 1 {
			eps += fmt.Sprintf(" (%.0f–%.0f)", l.Min, l.Max)
		}
		ratio, target, verdict := "n/a", "", ""
		if l.ratio >= 0 {
			ratio = fmt.Sprintf("%.2f", l.ratio)
		}
		if l.target > 0 {
			target = fmt.Sprintf("≥ %.2f", l.target)
			switch {
			case l.ratio < 0:
				verdict = "NO BASELINE"
			case l.ratio >= l.target:
				verdict = "PASS"
			default:
				verdict = "BELOW"
				missed = append(missed, l)
			}
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\t%s\t\n", l.name, l.Name, eps, ratio, target, verdict)
	}
	for _, rw := range rows {
		if !ranAny(rw, ls) {
			fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\n", rw.Name)
		}
	}
	_ = tw.Flush()
	for _, l := range missed {
		fmt.Fprintf(w, "\n!!! BELOW TARGET: %s runs at %.2f of raw JetStream; the target is %.2f !!!\n", l.name, l.ratio, l.target)
	}
}

func ranAny(rw row, ls []line) bool {
	for _, l := range ls {
		if rw.Bench.MatchString(l.Name) {
			return true
		}
	}
	return false
}
