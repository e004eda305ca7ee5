package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// row is one line of the report: the benchmarks it covers, the benchmark it
// is a ratio to, and the ratio or latency an issue asked for. Add a row with
// the benchmark that a new issue brings.
type row struct {
	Name     string         // what is measured, for the reader
	Bench    *regexp.Regexp // the benchmark names it reports (without the -GOMAXPROCS suffix)
	Baseline string         // the benchmark it is a ratio to; empty for none
	// Versus names the baseline for the reader when it is not raw
	// JetStream.
	Versus string
	Target float64 // the ratio to reach; 0 for none
	// MaxP99 makes it a row of read benchmarks (those that report p99-ms):
	// the p99 latency, in milliseconds, not to exceed; 0 for none.
	MaxP99 float64
	// Heap makes it a row of heap benchmarks (those that report
	// heap-start-MiB and heap-end-MiB); MaxGrowth is the share by which
	// the end may exceed the start.
	Heap      bool
	MaxGrowth float64
	// MaxBytes makes it a row of memory benchmarks (those that report
	// B/rating): the bytes per rating not to exceed; 0 for none.
	MaxBytes float64
}

// The baselines: raw JetStream measured in the same run. Async publish with
// message ids is the write path's; a raw pull consumer reading the whole
// stream in the projection's own benchmark process is each catch-up's.
const (
	rawPublish   = "BenchmarkRawJetStreamPublishAsync"
	rawFeed      = "BenchmarkFeed/catchup/raw"
	rawAllowance = "BenchmarkAllowance/catchup/raw"
	rawDensity   = "BenchmarkDensity/catchup/raw"
	rawAnalytics = "BenchmarkAnalytics/catchup/raw"
	rawWebhook   = "BenchmarkWebhookDelivery/raw"
)

var rows = []row{
	{Name: "raw JetStream async publish", Bench: regexp.MustCompile(`^` + rawPublish + `$`), Baseline: rawPublish},
	{Name: "event store conditional append", Bench: regexp.MustCompile(`^BenchmarkAppendConditional$`), Baseline: rawPublish},
	{Name: "give kudos, in-process command", Bench: regexp.MustCompile(`^BenchmarkGiveKudosInProcess$`), Baseline: rawPublish, Target: 0.5},
	{Name: "give kudos, HTTP API", Bench: regexp.MustCompile(`^BenchmarkGiveKudosHTTP$`), Baseline: rawPublish},
	// Tracing (issue 21): the command path with tracing on, at the default
	// sampling, against the same with tracing off in the same run; costing
	// under 10% is running at over 1/1.1 of it.
	{Name: "give kudos, in-process, tracing off", Bench: regexp.MustCompile(`^BenchmarkGiveKudosTracing/tracing-off$`), Baseline: rawPublish},
	{Name: "give kudos, in-process, tracing on (ratio to tracing off)", Bench: regexp.MustCompile(`^BenchmarkGiveKudosTracing/tracing-on$`),
		Baseline: "BenchmarkGiveKudosTracing/tracing-off", Versus: "tracing off", Target: 1 / 1.1},
	{Name: "raw JetStream catch-up, feed's stream", Bench: regexp.MustCompile(`^` + rawFeed + `$`), Baseline: rawFeed},
	{Name: "projector runtime alone, feed's filters", Bench: regexp.MustCompile(`^BenchmarkFeed/catchup/runtime$`), Baseline: rawFeed},
	{Name: "feed projector catch-up", Bench: regexp.MustCompile(`^BenchmarkFeed/catchup/projector$`), Baseline: rawFeed, Target: 0.5},
	{Name: "raw JetStream catch-up, allowance's stream", Bench: regexp.MustCompile(`^` + rawAllowance + `$`), Baseline: rawAllowance},
	{Name: "projector runtime alone, allowance's filters", Bench: regexp.MustCompile(`^BenchmarkAllowance/catchup/runtime$`), Baseline: rawAllowance},
	{Name: "allowance projector catch-up", Bench: regexp.MustCompile(`^BenchmarkAllowance/catchup/projector$`), Baseline: rawAllowance, Target: 0.5},
	{Name: "raw JetStream catch-up, density's stream", Bench: regexp.MustCompile(`^` + rawDensity + `$`), Baseline: rawDensity},
	{Name: "projector runtime alone, density's filters", Bench: regexp.MustCompile(`^BenchmarkDensity/catchup/runtime$`), Baseline: rawDensity},
	{Name: "density projector catch-up", Bench: regexp.MustCompile(`^BenchmarkDensity/catchup/projector$`), Baseline: rawDensity, Target: 0.5},
	{Name: "raw JetStream catch-up, the whole stream", Bench: regexp.MustCompile(`^` + rawAnalytics + `$`), Baseline: rawAnalytics},
	{Name: "analytics projector catch-up into ClickHouse", Bench: regexp.MustCompile(`^BenchmarkAnalytics/catchup/projector$`), Baseline: rawAnalytics},
	{Name: "feed page, 64 readers", Bench: regexp.MustCompile(`^BenchmarkFeed/page/`), MaxP99: 5},
	{Name: "balance, 64 readers", Bench: regexp.MustCompile(`^BenchmarkAllowance/balance/`), MaxP99: 5},
	{Name: "team density, 64 readers", Bench: regexp.MustCompile(`^BenchmarkDensity/team/`), MaxP99: 5},
	{Name: "web pages at 20 views/s, 1M events", Bench: regexp.MustCompile(`^BenchmarkPages/`), MaxP99: 50},
	{Name: "5-star rating to its kudos, in process, 200 ratings/s", Bench: regexp.MustCompile(`^BenchmarkRatingToKudos$`), MaxP99: 100},
	// Freshness has no target in its issue; a second is the product's
	// promise of recognition within seconds, kept with room.
	{Name: "append to visible in ClickHouse at 2,000 events/s", Bench: regexp.MustCompile(`^BenchmarkAnalytics/freshness$`), MaxP99: 1000},
	{Name: "raw JetStream consumer posting each event", Bench: regexp.MustCompile(`^` + rawWebhook + `$`), Baseline: rawWebhook},
	{Name: "webhook delivery of a backlog, signed, in order", Bench: regexp.MustCompile(`^BenchmarkWebhookDelivery/throughput$`), Baseline: rawWebhook},
	{Name: "webhook append to delivered at 500 events/s", Bench: regexp.MustCompile(`^BenchmarkWebhookDelivery/latency$`), MaxP99: 250},
	// Sustained load (issue 19): the highest paced rate of gives the write
	// path kept up with, every projector live, each projector's lag then,
	// and the live heap before and after the run.
	{Name: "sustained gives, every projector live", Bench: regexp.MustCompile(`^BenchmarkSustainedLoad/rate$`), Baseline: rawPublish},
	{Name: "projector lag at the sustained rate", Bench: regexp.MustCompile(`^BenchmarkSustainedLoad/lag/`), MaxP99: 1000},
	{Name: "heap after GC, sustained load", Bench: regexp.MustCompile(`^BenchmarkSustainedLoad/heap$`), Heap: true, MaxGrowth: 0.10},
	{Name: "rating batches of 10,000, in-process command", Bench: regexp.MustCompile(`^BenchmarkRecordRatingsBatch$`), Baseline: rawPublish},
	{Name: "nats-server memory per rating, a subject per interaction (before)", Bench: regexp.MustCompile(`^BenchmarkRatingServerMemory/per-interaction$`)},
	{Name: "nats-server memory per rating, shard subjects", Bench: regexp.MustCompile(`^BenchmarkRatingServerMemory/shards$`), MaxBytes: 50},
}

// defaultPattern is a go test -bench pattern that runs every row's
// benchmarks: the top-level part of each row's regexp.
func defaultPattern(rows []row) string {
	var parts []string
	for _, r := range rows {
		top, _, _ := strings.Cut(r.Bench.String(), "/")
		if !slices.Contains(parts, top) {
			parts = append(parts, top)
		}
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

// IsRead reports whether the result is of a read benchmark: one that
// reports latency percentiles rather than throughput.
func (r result) IsRead() bool {
	_, ok := r.Metrics["p99-ms"]
	return ok
}

// IsHeap reports whether the result is of a heap benchmark: one that
// reports the live heap at its start and end.
func (r result) IsHeap() bool {
	_, ok := r.Metrics["heap-end-MiB"]
	return ok
}

// IsMemory reports whether the result is of a memory benchmark: one that
// reports bytes per rating rather than throughput.
func (r result) IsMemory() bool {
	_, ok := r.Metrics["B/rating"]
	return ok
}

// EventsPerSec is the benchmark's events/s metric, or else operations per
// second from ns/op. Read and heap benchmarks have none.
func (r result) EventsPerSec() (float64, bool) {
	if r.IsRead() || r.IsHeap() || r.IsMemory() {
		return 0, false
	}
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

// summarize sums up the throughput results by benchmark, in the order
// the benchmarks first ran.
func summarize(results []result) []summary {
	var out []summary
	for _, runs := range byBenchmark(results, func(r result) bool { _, ok := r.EventsPerSec(); return ok }) {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i], _ = r.EventsPerSec()
		}
		out = append(out, summary{Name: runs[0].Name, Runs: len(v), EPS: median(v), Min: slices.Min(v), Max: slices.Max(v)})
	}
	return out
}

// byBenchmark groups the results keep takes by benchmark, in the order the
// benchmarks first ran.
func byBenchmark(results []result, keep func(result) bool) [][]result {
	var out [][]result
	index := map[string]int{}
	for _, r := range results {
		if !keep(r) {
			continue
		}
		i, seen := index[r.Name]
		if !seen {
			i = len(out)
			index[r.Name] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
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
	versus string // what the ratio is to, for the reader
}

// lines matches benchmarks to rows; benchmarks no row covers are listed
// after them, without a ratio.
func lines(rows []row, results []result) []line {
	sums := summarize(results)
	var out []line
	for _, m := range matchRows(rows, len(sums), func(i int) string { return sums[i].Name }, func(row) bool { return true }) {
		s := sums[m.sum]
		if m.row == nil {
			out = append(out, line{name: "(no row)", summary: s, ratio: -1})
			continue
		}
		versus := cmp.Or(m.row.Versus, "raw JetStream")
		out = append(out, line{name: m.row.Name, summary: s, ratio: ratio(results, s.Name, m.row.Baseline), target: m.row.Target, versus: versus})
	}
	return out
}

// rowMatch pairs summary sum with row, nil for none.
type rowMatch struct {
	row *row
	sum int
}

// matchRows matches n summaries, of the benchmarks name(0) to name(n-1),
// to the rows wants takes: each row in turn takes, in order, the
// summaries its pattern matches that no row before took; the summaries no
// row took follow, with no row.
func matchRows(rows []row, n int, name func(int) string, wants func(row) bool) []rowMatch {
	var out []rowMatch
	used := make([]bool, n)
	for r := range rows {
		if !wants(rows[r]) {
			continue
		}
		for i := range n {
			if !used[i] && rows[r].Bench.MatchString(name(i)) {
				used[i] = true
				out = append(out, rowMatch{row: &rows[r], sum: i})
			}
		}
	}
	for i := range n {
		if !used[i] {
			out = append(out, rowMatch{sum: i})
		}
	}
	return out
}

// writeReport prints the throughput table, the read latency table and,
// loudly, every target missed.
func writeReport(w io.Writer, rows []row, results []result, env []string, benchtime string) {
	ls := lines(rows, results)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Plaudit benchmarks (-benchtime %s; %s)\n", benchtime, strings.Join(env, ", "))
	if len(results) > 0 {
		fmt.Fprintf(w, "GOMAXPROCS %d; each ratio is to raw JetStream measured in this run: async publish for the write path, "+
			"a raw consumer of the same stream in the same process for each catch-up", results[0].Procs)
		if len(ls) > 0 && ls[0].Runs > 1 {
			fmt.Fprintf(w, "; medians of %d rounds, each ratio to the raw figure of its own round", ls[0].Runs)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tevents/s\tratio to raw\ttarget\t\t")
	var missed []string // "BELOW TARGET: …" or "ABOVE TARGET: …"
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
				missed = append(missed, fmt.Sprintf("BELOW TARGET: %s runs at %.2f of %s; the target is %.2f", l.name, l.ratio, l.versus, l.target))
			}
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\t%s\t\n", l.name, l.Name, eps, ratio, target, verdict)
	}
	for _, rw := range rows {
		if rw.MaxP99 == 0 && !rw.Heap && !rw.isMemory() && !ranAny(rw, ls) {
			fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\n", rw.Name)
		}
	}
	_ = tw.Flush()

	if rls := readLines(rows, results); len(rls) > 0 || hasReadRows(rows) {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Read latency (64 readers: flat out, or paced where the name says rps)")
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "benchmark\tp50 ms\tp99 ms\treads/s\ttarget\t\t")
		for _, l := range rls {
			p99 := fmt.Sprintf("%.2f", l.P99)
			if l.Runs > 1 {
				p99 += fmt.Sprintf(" (%.2f–%.2f)", l.P99Min, l.P99Max)
			}
			target, verdict := "", ""
			if l.maxP99 > 0 {
				target = fmt.Sprintf("p99 < %g ms", l.maxP99)
				verdict = "PASS"
				if l.P99 >= l.maxP99 {
					verdict = "ABOVE"
					missed = append(missed, fmt.Sprintf("ABOVE TARGET: %s (%s) has a p99 of %.2f ms; the target is under %g ms", l.name, l.Name, l.P99, l.maxP99))
				}
			}
			rps := "-" // a lag, say: no reads
			if l.RPS > 0 {
				rps = fmt.Sprintf("%.0f", l.RPS)
			}
			fmt.Fprintf(tw, "%s (%s)\t%.2f\t%s\t%s\t%s\t%s\t\n", l.name, l.Name, l.P50, p99, rps, target, verdict)
		}
		for _, rw := range rows {
			if rw.MaxP99 > 0 && !ranAnyRead(rw, rls) {
				fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\t\t\n", rw.Name)
			}
		}
		_ = tw.Flush()
	}
	missed = append(missed, writeHeap(w, rows, results)...)
	missed = append(missed, writeMemory(w, rows, results)...)
	for _, m := range missed {
		fmt.Fprintf(w, "\n!!! %s !!!\n", m)
	}
}

// writeHeap prints the heap table, when a row asks for one, and returns
// the targets missed.
func writeHeap(w io.Writer, rows []row, results []result) (missed []string) {
	if !slices.ContainsFunc(rows, func(r row) bool { return r.Heap }) {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Live heap after a full collection (medians over the rounds)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tstart MiB\tend MiB\tgrowth\tper event\ttarget\t\t")
	for _, rw := range rows {
		if !rw.Heap {
			continue
		}
		ran := false
		for _, runs := range byBenchmark(results, func(r result) bool { return r.IsHeap() && rw.Bench.MatchString(r.Name) }) {
			ran = true
			var start, end, perEvent []float64
			for _, r := range runs {
				start, end = append(start, r.Metrics["heap-start-MiB"]), append(end, r.Metrics["heap-end-MiB"])
				if b, ok := r.Metrics["growth-B/event"]; ok {
					perEvent = append(perEvent, b)
				}
			}
			per := "-"
			if len(perEvent) > 0 {
				per = fmt.Sprintf("%.0f B", median(perEvent))
			}
			s, e := median(start), median(end)
			growth := 0.0
			if s > 0 {
				growth = e/s - 1
			}
			verdict := "PASS"
			if growth > rw.MaxGrowth {
				verdict = "ABOVE"
				missed = append(missed, fmt.Sprintf("ABOVE TARGET: %s (%s) grew the heap by %.0f%% (%.0f to %.0f MiB); the target is at most %.0f%%",
					rw.Name, runs[0].Name, 100*growth, s, e, 100*rw.MaxGrowth))
			}
			fmt.Fprintf(tw, "%s (%s)\t%.0f\t%.0f\t%+.0f%%\t%s\t≤ %+.0f%%\t%s\t\n", rw.Name, runs[0].Name, s, e, 100*growth, per, 100*rw.MaxGrowth, verdict)
		}
		if !ran {
			fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\t\t\n", rw.Name)
		}
	}
	_ = tw.Flush()
	return missed
}

func (rw row) isMemory() bool {
	return strings.Contains(rw.Bench.String(), "Memory") || rw.MaxBytes > 0
}

// writeMemory prints the table of the memory benchmarks (medians over the
// rounds) and returns the targets missed.
func writeMemory(w io.Writer, rows []row, results []result) []string {
	groups := byBenchmark(results, result.IsMemory)
	if len(groups) == 0 && !slices.ContainsFunc(rows, row.isMemory) {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Memory per rating stored (Go heap after GC, less the same before; see BenchmarkRatingServerMemory)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tserver B/rating\tengine B/rating\ttarget\t\t")
	var missed []string
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g[0].Name
	}
	for _, m := range matchRows(rows, len(groups), func(i int) string { return names[i] }, row.isMemory) {
		runs := groups[m.sum]
		per := func(unit string) string {
			var v []float64
			for _, r := range runs {
				if x, ok := r.Metrics[unit]; ok {
					v = append(v, x)
				}
			}
			if len(v) == 0 {
				return ""
			}
			return fmt.Sprintf("%.1f", median(v))
		}
		name, target, verdict := "(no row)", "", ""
		if m.row != nil {
			name = m.row.Name
			if m.row.MaxBytes > 0 {
				target = fmt.Sprintf("< %g B", m.row.MaxBytes)
				var v []float64
				for _, r := range runs {
					v = append(v, r.Metrics["B/rating"])
				}
				verdict = "PASS"
				if got := median(v); got >= m.row.MaxBytes {
					verdict = "ABOVE"
					missed = append(missed, fmt.Sprintf("ABOVE TARGET: %s keeps %.1f B per rating; the target is under %g", name, got, m.row.MaxBytes))
				}
			}
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\t%s\t\n", name, runs[0].Name, per("B/rating"), per("engine-B/rating"), target, verdict)
	}
	for _, rw := range rows {
		if rw.isMemory() && !slices.ContainsFunc(names, rw.Bench.MatchString) {
			fmt.Fprintf(tw, "%s\tnot run\t\t\t\t\n", rw.Name)
		}
	}
	_ = tw.Flush()
	return missed
}

func ranAny(rw row, ls []line) bool {
	for _, l := range ls {
		if rw.Bench.MatchString(l.Name) {
			return true
		}
	}
	return false
}

func ranAnyRead(rw row, ls []readLine) bool {
	for _, l := range ls {
		if rw.Bench.MatchString(l.Name) {
			return true
		}
	}
	return false
}

func hasReadRows(rows []row) bool {
	return slices.ContainsFunc(rows, func(r row) bool { return r.MaxP99 > 0 })
}

// readSummary is a read benchmark over every round: the medians of its
// percentiles and throughput, and the range of its p99.
type readSummary struct {
	Name           string
	Runs           int
	P50, P99, RPS  float64
	P99Min, P99Max float64
}

// summarizeReads sums up the read results by benchmark, in the order the
// benchmarks first ran.
func summarizeReads(results []result) []readSummary {
	var out []readSummary
	for _, runs := range byBenchmark(results, result.IsRead) {
		var p50, p99, rps []float64
		for _, r := range runs {
			p50 = append(p50, r.Metrics["p50-ms"])
			p99 = append(p99, r.Metrics["p99-ms"])
			rps = append(rps, r.Metrics["reads/s"])
		}
		out = append(out, readSummary{Name: runs[0].Name, Runs: len(p99), P50: median(p50), P99: median(p99), RPS: median(rps),
			P99Min: slices.Min(p99), P99Max: slices.Max(p99)})
	}
	return out
}

// readLine is one printed line of the read latency table.
type readLine struct {
	name string
	readSummary
	maxP99 float64
}

// readLines matches read benchmarks to rows; those no row covers are
// listed after them.
func readLines(rows []row, results []result) []readLine {
	sums := summarizeReads(results)
	var out []readLine
	for _, m := range matchRows(rows, len(sums), func(i int) string { return sums[i].Name }, func(rw row) bool { return rw.MaxP99 != 0 }) {
		if m.row == nil {
			out = append(out, readLine{name: "(no row)", readSummary: sums[m.sum]})
			continue
		}
		out = append(out, readLine{name: m.row.Name, readSummary: sums[m.sum], maxP99: m.row.MaxP99})
	}
	return out
}
