// Command benchreport runs Plaudit's benchmarks and prints each throughput
// as events per second and as a ratio to raw JetStream measured in the same
// run, each read benchmark as p50 and p99 latency, and, with -rss, the peak
// RSS of plauditd holding a large tenant (internal/bench/rssprobe), against
// the targets of the issues that added them. It is what `make bench` runs.
//
// It exits non-zero when the benchmarks fail to run, not when a target is
// missed: a miss is printed, loudly, for a person to weigh.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := config{}
	flag.Usage = usage
	flag.StringVar(&cfg.benchtime, "benchtime", "3s", "go test -benchtime: a duration (3s) or a count (20000x); one iteration of a catch-up reads the whole stream")
	flag.StringVar(&cfg.bench, "bench", defaultPattern(rows), "go test -bench pattern")
	flag.StringVar(&cfg.pkgs, "pkgs", "./pkg/... ./projections/...", "packages holding the benchmarks, space-separated")
	flag.StringVar(&cfg.gobin, "go", goBinary(), "the go command")
	flag.IntVar(&cfg.count, "count", 1, "rounds of every benchmark; the report shows medians")
	flag.IntVar(&cfg.events, "events", 0, "events of the catch-up and read benchmarks' stream, after the members\n"+
		"(0: $PLAUDIT_BENCH_EVENTS, else 1,000,000; 50000 makes a quick run)")
	flag.IntVar(&cfg.members, "members", 0, "members of that stream (0: $PLAUDIT_BENCH_MEMBERS, else 10,000)")
	flag.IntVar(&cfg.readRate, "read-rate", 0, "reads per second of the paced read benchmarks (0: $PLAUDIT_BENCH_READ_RATE, else 1000)")
	flag.IntVar(&cfg.writeRate, "write-rate", 0, "events per second written under the reads of the inprocess-writes read benchmarks\n"+
		"(0: $PLAUDIT_BENCH_WRITE_RATE, else 500)")
	flag.BoolVar(&cfg.rss, "rss", false, "also measure plauditd's peak RSS with internal/bench/rssprobe (minutes: it loads and projects the tenant below)")
	flag.IntVar(&cfg.rssMembers, "rss-members", 100_000, "members of the tenant -rss loads")
	flag.IntVar(&cfg.rssEvents, "rss-events", 1_000_000, "events of the tenant -rss loads")
	flag.Parse()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

type config struct {
	benchtime, bench, pkgs, gobin string
	count                         int
	events, members, readRate     int
	writeRate                     int
	rss                           bool
	rssMembers, rssEvents         int
}

func usage() {
	out := flag.CommandLine.Output()
	fmt.Fprintf(out, `Usage: go run ./internal/bench/benchreport [flags]   (make bench runs it without flags)

Runs Plaudit's benchmarks with go test and reports:
  - throughput in events/s and as a ratio to raw JetStream measured in the same run:
    the write path against async publish, the feed, allowance and density projectors'
    catch-up of a stream against a raw consumer reading the same stream in the same
    process, beside a bound on it: the projector runtime alone (a projection that
    keeps nothing);
  - the analytics projector's catch-up into ClickHouse (events/s and rows/s) against
    a raw consumer, and freshness (append to visible in ClickHouse) at 2,000 events/s;
  - read latency (p50, p99) of a feed page, a balance and a team's density with 64
    readers, in process and over HTTP, flat out and paced;
  - sustained load (about 2.5 minutes): gives through a real engine with every
    projector live, ClickHouse included, at the highest paced rate it keeps up
    with; that rate, each projector's lag p50 and p99, the live heap before and after;
  - with -rss, the peak RSS of plauditd holding a large tenant (100,000 members and
    1,000,000 events by default).
Targets missed are printed loudly; only a failure to run exits non-zero.
Every benchmark, raw baselines included, runs with plauditd's garbage
collector setting (GOGC=%d) unless GOGC is set.

The catch-up and read benchmarks build their stream once per package
(1,000,000 events by default); each catch-up reads all of it. -events 50000
gives a quick run.

Flags:
`, engine.DefaultGCPercent)
	flag.PrintDefaults()
}

// gogc is the garbage collector setting the benchmarks run with: the
// caller's GOGC, else plauditd's default. Every benchmark binary gets it,
// raw baselines included, so ratios compare like with like.
func gogc() string {
	if v, ok := os.LookupEnv("GOGC"); ok {
		return v
	}
	return strconv.Itoa(engine.DefaultGCPercent)
}

// benchEnv is the environment go test runs in: the caller's, with the
// garbage collector setting and the workload flags that were set.
func (c config) benchEnv() []string {
	env := append(os.Environ(), "GOGC="+gogc())
	for _, v := range []struct {
		name string
		n    int
	}{{"PLAUDIT_BENCH_EVENTS", c.events}, {"PLAUDIT_BENCH_MEMBERS", c.members}, {"PLAUDIT_BENCH_READ_RATE", c.readRate},
		{"PLAUDIT_BENCH_WRITE_RATE", c.writeRate}} {
		if v.n > 0 {
			env = append(env, v.name+"="+strconv.Itoa(v.n))
		}
	}
	return env
}

// goBinary is the go command of the toolchain in use: $GOROOT/bin/go when
// GOROOT is set, else the one on PATH.
func goBinary() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// run runs the benchmarks cfg.count times over, echoing go test's output to
// progress as it comes, and writes the report to out. Rounds rather than
// go test -count keep each ratio to a baseline measured minutes apart at
// most. A failure still reports what did run before returning the error.
func run(ctx context.Context, cfg config, out, progress io.Writer) error {
	var (
		results []result
		env     []string
		runErr  error
		own     float64
	)
	busy0, measured := cpuBusy()
	start := time.Now()
	for round := range max(cfg.count, 1) {
		rs, e, cpu, err := goTest(ctx, cfg, progress)
		for i := range rs {
			rs[i].Round = round
		}
		results, env, own = append(results, rs...), e, own+cpu
		if err != nil {
			runErr = err
			break
		}
	}

	var rss string
	if cfg.rss && runErr == nil {
		var cpu float64
		rss, cpu, runErr = rssProbe(ctx, cfg, progress)
		own += cpu
	}
	wall := time.Since(start).Seconds()

	writeReport(out, rows, results, append(env, "GOGC "+gogc()), cfg.benchtime)
	fmt.Fprintln(out)
	switch {
	case rss != "":
		fmt.Fprintf(out, "Peak RSS (internal/bench/rssprobe)\n\n%s", rss)
	case !cfg.rss:
		fmt.Fprintf(out, "Peak RSS of plauditd: not measured; -rss measures it (%d members, %d events).\n", cfg.rssMembers, cfg.rssEvents)
	}
	if busy1, ok := cpuBusy(); measured && ok {
		if share := othersShare(busy1-busy0, own, wall); share > 0.10 {
			fmt.Fprintf(out, "\nwarning: other processes (or the hypervisor) took %.0f%% of the machine's CPU during the run: "+
				"the figures, ratios included, are unreliable; run again on a quiet machine\n", 100*share)
		}
	}
	switch {
	case runErr != nil:
		return runErr
	case len(results) == 0:
		return errors.New("no benchmark ran: check -bench and -pkgs")
	}
	return nil
}

// goTest runs the benchmarks once and returns their results, the
// goos/goarch/cpu lines, and the CPU seconds go test and its children used.
func goTest(ctx context.Context, cfg config, progress io.Writer) ([]result, []string, float64, error) {
	args := []string{"test", "-run", "^$", "-bench", cfg.bench, "-benchtime", cfg.benchtime,
		"-count", "1", "-timeout", "60m"}
	args = append(args, strings.Fields(cfg.pkgs)...)
	fmt.Fprintf(progress, "$ %s %s\n", cfg.gobin, shellJoin(args))
	cmd := exec.CommandContext(ctx, cfg.gobin, args...)
	cmd.Env = cfg.benchEnv()
	cmd.Stderr = progress
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, 0, fmt.Errorf("start go test: %w", err)
	}
	results, env, perr := parse(stdout, progress)
	werr := cmd.Wait()
	var cpu float64
	if ps := cmd.ProcessState; ps != nil {
		cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	switch {
	case werr != nil:
		return results, env, cpu, fmt.Errorf("go test: %w", werr)
	case perr != nil:
		return results, env, cpu, fmt.Errorf("reading go test output: %w", perr)
	}
	return results, env, cpu, nil
}

// rssProbe runs internal/bench/rssprobe and returns its summary and the CPU seconds
// it and its children used.
func rssProbe(ctx context.Context, cfg config, progress io.Writer) (string, float64, error) {
	args := []string{"run", "./internal/bench/rssprobe", "-go", cfg.gobin,
		"-members", strconv.Itoa(cfg.rssMembers), "-events", strconv.Itoa(cfg.rssEvents)}
	fmt.Fprintf(progress, "$ %s %s\n", cfg.gobin, shellJoin(args))
	var summary strings.Builder
	cmd := exec.CommandContext(ctx, cfg.gobin, args...)
	cmd.Stdout = io.MultiWriter(&summary, progress)
	cmd.Stderr = progress
	err := cmd.Run()
	var cpu float64
	if ps := cmd.ProcessState; ps != nil {
		cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if err != nil {
		return "", cpu, fmt.Errorf("rssprobe: %w", err)
	}
	return summary.String(), cpu, nil
}

// cpuBusy is the CPU time, in seconds, all processes of the machine (and
// the hypervisor, as steal) have used since boot, from /proc/stat; ok is
// false where there is none.
func cpuBusy() (secs float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var ticks float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return ticks / 100, true // USER_HZ is 100 on Linux
}

// othersShare is the share of the machine's CPU capacity during a run of
// wall seconds that went to anything but the benchmark process tree, which
// used own seconds: busyDelta - own over wall × CPUs.
func othersShare(busyDelta, own, wall float64) float64 {
	if wall <= 0 {
		return 0
	}
	return max(busyDelta-own, 0) / (wall * float64(runtime.NumCPU()))
}

// shellJoin spells args as a shell would need them, to show the command.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t'\"$^|()*?[]{}<>&;\\") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
