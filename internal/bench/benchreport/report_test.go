package main

import (
	"bytes"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/plaudit/plaudit/pkg/api
cpu: AMD EPYC
BenchmarkGiveKudosHTTP-2   	   20000	    176558 ns/op	      5664 events/s
PASS
pkg: github.com/plaudit/plaudit/pkg/command
BenchmarkGiveKudosInProcess-2   	   20000	     49683 ns/op	       566.0 B/event	     20127 events/s
pkg: github.com/plaudit/plaudit/pkg/eventstore
BenchmarkRawJetStreamPublishAsync
some output the benchmark printed
    20000	      9275 ns/op	       566.0 B/event	    100000 events/s
BenchmarkOther	1000	1000000 ns/op
ok  	github.com/plaudit/plaudit/pkg/eventstore	0.226s
`

func TestParse(t *testing.T) {
	results, env, err := parse(strings.NewReader(sample), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"goos: linux", "goarch: amd64", "cpu: AMD EPYC"}; strings.Join(env, "|") != strings.Join(want, "|") {
		t.Errorf("env = %q, want %q", env, want)
	}
	tests := []struct {
		name  string
		procs int
		n     int
		eps   float64
	}{
		{"BenchmarkGiveKudosHTTP", 2, 20000, 5664},
		{"BenchmarkGiveKudosInProcess", 2, 20000, 20127},
		{"BenchmarkRawJetStreamPublishAsync", 1, 20000, 100000},
		{"BenchmarkOther", 1, 1000, 1000},
	}
	if len(results) != len(tests) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(tests), results)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := results[i]
			eps, ok := r.EventsPerSec()
			if r.Name != tt.name || r.Procs != tt.procs || r.N != tt.n || !ok || eps != tt.eps {
				t.Errorf("got %+v (%v events/s), want %+v", r, eps, tt)
			}
		})
	}
}

func TestReport(t *testing.T) {
	results, env, err := parse(strings.NewReader(sample), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rs := append(rows[:len(rows):len(rows)], row{Name: "missing", Bench: regexp.MustCompile(`^BenchmarkMissing$`)})
	var buf bytes.Buffer
	writeReport(&buf, rs, results, env, "20000x")
	out := buf.String()
	for _, want := range []string{
		"0.20", "≥ 0.50", "BELOW", "0.06", "1.00",
		"!!! BELOW TARGET: give kudos, in-process command runs at 0.20 of raw JetStream; the target is 0.50 !!!",
		"(no row) (BenchmarkOther)", "missing", "not run",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestDefaultPattern(t *testing.T) {
	pat := regexp.MustCompile(defaultPattern(rows))
	for _, rw := range rows {
		name := strings.Trim(rw.Bench.String(), "^$")
		if !pat.MatchString(name) {
			t.Errorf("default pattern %q does not run %s", pat, name)
		}
	}
}

func TestSummarizeTakesMedians(t *testing.T) {
	out := "BenchmarkA-2 10 100 ns/op 30 events/s\n" +
		"BenchmarkB-2 10 100 ns/op\n" +
		"BenchmarkA-2 10 100 ns/op 10 events/s\n" +
		"BenchmarkA-2 10 100 ns/op 20 events/s\n" +
		"BenchmarkB-2 10 200 ns/op\n"
	results, _, err := parse(strings.NewReader(out), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(results)
	want := []summary{
		{Name: "BenchmarkA", Runs: 3, EPS: 20, Min: 10, Max: 30},
		{Name: "BenchmarkB", Runs: 2, EPS: 7.5e6, Min: 5e6, Max: 1e7},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("summary %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestOthersShare(t *testing.T) {
	tests := []struct {
		name                  string
		busy, own, wall, want float64
	}{
		{"only the benchmarks", 10, 10, 10, 0},
		{"others took a core", 20, 10, 10, 10 / (10 * float64(runtime.NumCPU()))},
		{"own exceeds busy (tick rounding)", 9, 10, 10, 0},
		{"no time", 1, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := othersShare(tt.busy, tt.own, tt.wall); got != tt.want {
				t.Errorf("othersShare(%v, %v, %v) = %v, want %v", tt.busy, tt.own, tt.wall, got, tt.want)
			}
		})
	}
}

func TestRatioPairsRounds(t *testing.T) {
	results := []result{
		{Round: 0, Name: "BenchmarkRaw", Metrics: map[string]float64{"events/s": 100}},
		{Round: 0, Name: "BenchmarkCmd", Metrics: map[string]float64{"events/s": 50}},
		{Round: 1, Name: "BenchmarkRaw", Metrics: map[string]float64{"events/s": 200}},
		{Round: 1, Name: "BenchmarkCmd", Metrics: map[string]float64{"events/s": 50}},
		{Round: 2, Name: "BenchmarkCmd", Metrics: map[string]float64{"events/s": 1000}}, // no baseline in round 2
	}
	if got, want := ratio(results, "BenchmarkCmd", "BenchmarkRaw"), 0.375; got != want {
		t.Errorf("ratio = %v, want %v", got, want)
	}
	if got := ratio(results, "BenchmarkCmd", "BenchmarkMissing"); got != -1 {
		t.Errorf("ratio without baseline = %v, want -1", got)
	}
}

const readSample = `pkg: github.com/plaudit/plaudit/projections/feed
BenchmarkFeed/catchup/raw-2     	       1	4716168870 ns/op	   1010001 events/run	    214157 events/s
BenchmarkFeed/catchup/projector-2         	       1	253261604758 ns/op	   1010001 events/run	      3988 events/s
BenchmarkFeed/page/inprocess-2            	   16545	    138442 ns/op	         0.2368 p50-ms	       253.6 p99-ms	      7223 reads/s
BenchmarkFeed/page/http-1000rps-2         	    2409	    999848 ns/op	         0.7179 p50-ms	         4.208 p99-ms	      1000 reads/s
BenchmarkOtherRead-2         	    2409	    999848 ns/op	         0.5 p50-ms	         1 p99-ms	      1000 reads/s
`

func TestReadReport(t *testing.T) {
	results, _, err := parse(strings.NewReader(readSample), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if eps, ok := results[2].EventsPerSec(); ok {
		t.Errorf("a read benchmark has a throughput: %v", eps)
	}
	var buf bytes.Buffer
	writeReport(&buf, rows, results, nil, "3s")
	out := buf.String()
	for _, want := range []string{
		"feed projector catch-up (BenchmarkFeed/catchup/projector)", "0.02", "BELOW",
		"feed page, 64 readers (BenchmarkFeed/page/inprocess)", "253.60", "ABOVE",
		"feed page, 64 readers (BenchmarkFeed/page/http-1000rps)", "4.21", "PASS",
		"(no row) (BenchmarkOtherRead)",
		"!!! ABOVE TARGET: feed page, 64 readers (BenchmarkFeed/page/inprocess) has a p99 of 253.60 ms; the target is under 5 ms !!!",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`balance, 64 readers +not run`).MatchString(out) {
		t.Errorf("report lacks the balance row, not run:\n%s", out)
	}
	if strings.Contains(out, "(no row) (BenchmarkFeed/page") {
		t.Errorf("read benchmarks listed in the throughput table:\n%s", out)
	}
}

const sustainedSample = `pkg: github.com/plaudit/plaudit/projections
BenchmarkSustainedLoad/rate-2         	1000000000	         0.0000010 ns/op	      2400 events/s
BenchmarkSustainedLoad/lag/feed-2     	1000000000	         0.0000010 ns/op	        12.0 p50-ms	        85.0 p99-ms
BenchmarkSustainedLoad/lag/analytics-2	1000000000	         0.0000010 ns/op	       300.0 p50-ms	      1200 p99-ms
BenchmarkSustainedLoad/heap-2         	1000000000	         0.0000010 ns/op	        40.00 heap-start-MiB	        50.00 heap-end-MiB
`

func TestSustainedReport(t *testing.T) {
	results, _, err := parse(strings.NewReader(sustainedSample), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if eps, ok := results[3].EventsPerSec(); ok {
		t.Errorf("a heap benchmark has a throughput: %v", eps)
	}
	var buf bytes.Buffer
	writeReport(&buf, rows, results, nil, "3s")
	out := buf.String()
	for _, want := range []string{
		"sustained gives, every projector live (BenchmarkSustainedLoad/rate)", "2400",
		"projector lag at the sustained rate (BenchmarkSustainedLoad/lag/feed)", "85.00", "PASS",
		"!!! ABOVE TARGET: projector lag at the sustained rate (BenchmarkSustainedLoad/lag/analytics) has a p99 of 1200.00 ms; the target is under 1000 ms !!!",
		"heap after GC, sustained load (BenchmarkSustainedLoad/heap)", "+25%", "ABOVE",
		"!!! ABOVE TARGET: heap after GC, sustained load (BenchmarkSustainedLoad/heap) grew the heap by 25% (40 to 50 MiB); the target is at most 10% !!!",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "(no row) (BenchmarkSustainedLoad") {
		t.Errorf("a sustained-load result has no row:\n%s", out)
	}
}

func TestMemoryRows(t *testing.T) {
	out := `BenchmarkRawJetStreamPublishAsync-2   	  100000	     9275 ns/op	    100000 events/s
BenchmarkRecordRatingsBatch-2   	  100000	     40000 ns/op	       610.0 B/event	     25000 events/s
BenchmarkRatingServerMemory/per-interaction-2   	       1	13779906565 ns/op	       328.3 B/rating
BenchmarkRatingServerMemory/shards-2            	       1	18419555585 ns/op	        60.5 B/rating	       150.0 engine-B/rating
`
	results, _, err := parse(strings.NewReader(out), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeReport(&b, rows, results, nil, "3s")
	report := b.String()
	for _, want := range []string{
		"rating batches of 10,000, in-process command (BenchmarkRecordRatingsBatch)   25000",
		"0.25",
		"328.3",
		"60.5",
		"150.0",
		"ABOVE TARGET: nats-server memory per rating, shard subjects keeps 60.5 B per rating",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "(no row)") {
		t.Errorf("a memory benchmark in the throughput table:\n%s", report)
	}
}

// TestTracingRow: tracing on is reported as a ratio to tracing off in the
// same run, and a miss says so.
func TestTracingRow(t *testing.T) {
	out := "BenchmarkRawJetStreamPublishAsync-2 1000 10000 ns/op 100000 events/s\n" +
		"BenchmarkGiveKudosTracing/tracing-off-2 1000 50000 ns/op 20000 events/s\n" +
		"BenchmarkGiveKudosTracing/tracing-on-2 1000 62500 ns/op 16000 events/s\n"
	results, env, err := parse(strings.NewReader(out), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	writeReport(&buf, rows, results, env, "3s")
	for _, want := range []string{
		"(BenchmarkGiveKudosTracing/tracing-on)   16000      0.80           ≥ 0.91   BELOW",
		"!!! BELOW TARGET: give kudos, in-process, tracing on (ratio to tracing off) runs at 0.80 of tracing off; the target is 0.91 !!!",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}
