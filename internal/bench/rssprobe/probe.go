package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/bench"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/projector"
)

// adminKey is the bootstrap admin key of the plauditd under test.
const adminKey = "rssprobe-admin-key-0123456789"

// probe runs one plauditd at a time on one data dir.
type probe struct {
	bin, dataDir, logFile string
	// pprofDir, when set, has plauditd serve its profiles on loopback
	// (--pprof-addr) and receives a heap profile at each measurement.
	pprofDir string

	cmd       *exec.Cmd
	exited    chan error
	httpAddr  string
	pprofAddr string
	client    *http.Client
}

// phase is what one run of plauditd measured.
type phase struct {
	name         string
	mem          mem
	goMem        goMem
	note         string
	streamEvents uint64
	subjects     uint64 // distinct subjects in the stream
}

// start runs plauditd on fresh loopback ports and waits until it is ready.
func (p *probe) start(ctx context.Context) (natsURL string, err error) {
	httpAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	logf, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	args := []string{"--data-dir", p.dataDir, "--http-addr", httpAddr, "--nats-listen", natsAddr, "--log-level", "warn"}
	p.pprofAddr = ""
	if p.pprofDir != "" {
		if p.pprofAddr, err = freeAddr(); err != nil {
			return "", err
		}
		args = append(args, "--pprof-addr", p.pprofAddr)
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Env = append(os.Environ(), "PLAUDIT_BOOTSTRAP_KEY="+adminKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start plauditd: %w", err)
	}
	p.cmd, p.httpAddr, p.exited = cmd, httpAddr, make(chan error, 1)
	p.client = &http.Client{Timeout: 10 * time.Second}
	go func() { p.exited <- cmd.Wait() }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := p.client.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "nats://" + natsAddr, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return "", fmt.Errorf("plauditd not ready after 3 minutes (log: %s)", p.logFile)
		}
		select {
		case err := <-p.exited:
			p.cmd = nil
			return "", fmt.Errorf("plauditd exited while starting: %v (log: %s)", err, p.logFile)
		case <-ctx.Done():
			p.stop()
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop asks plauditd to shut down, as an operator would, and kills it
// if it has not within a minute.
func (p *probe) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// load starts plauditd on the empty data dir, publishes the workload into
// it and waits until the projections have applied it.
func (p *probe) load(ctx context.Context, members, events int) (phase, error) {
	natsURL, err := p.start(ctx)
	if err != nil {
		return phase{}, err
	}
	defer p.stop()
	// The probe writes straight into the stream, as only the engine may:
	// it connects as an engine user, minted from the data dir's keys.
	keys, err := natsauth.Load(filepath.Join(p.dataDir, "nats", "keys"))
	if err != nil {
		return phase{}, err
	}
	u, err := keys.NewUser("rssprobe")
	if err != nil {
		return phase{}, err
	}
	nc, err := nats.Connect(natsURL, nats.Name("rssprobe"), u.Option())
	if err != nil {
		return phase{}, fmt.Errorf("connect to plauditd's NATS: %w", err)
	}
	defer nc.Close()
	start := time.Now()
	progress("publishing %d members and %d events into plauditd (pid %d)", members, events, p.cmd.Process.Pid)
	res, err := bench.Publish(ctx, nc, bench.Config{Members: members, Events: events}, func(done int) {
		progress("  %d events published (%s)", done, time.Since(start).Round(time.Second))
	})
	if err != nil {
		return phase{}, err
	}
	loaded := time.Since(start)
	loadedMem, err := memory(p.cmd.Process.Pid)
	if err != nil {
		return phase{}, err
	}
	p.heapProfile(ctx, "load-published")
	progress("published %d events in %s; waiting for the projections", res.Total(), loaded.Round(time.Second))
	if err := p.caughtUp(ctx); err != nil {
		return phase{}, err
	}
	caught := time.Since(start)
	var subjects uint64
	if js, err := jetstream.New(nc); err == nil {
		if s, err := js.Stream(ctx, eventstore.DefaultStream); err == nil {
			if info, err := s.Info(ctx); err == nil {
				subjects = info.State.NumSubjects
			}
		}
	}
	m, err := memory(p.cmd.Process.Pid)
	if err != nil {
		return phase{}, err
	}
	gm := p.goMemory(ctx)
	p.heapProfile(ctx, "load-caught-up")
	return phase{
		name: "bulk load, projected live", mem: m, goMem: gm, streamEvents: uint64(res.Total()), subjects: subjects,
		note: fmt.Sprintf("published in %s, projections caught up after %s; peak %s when publishing ended",
			loaded.Round(time.Second), caught.Round(time.Second), mib(loadedMem.HWM)),
	}, nil
}

// restart starts plauditd again on the loaded data dir, waits until it is
// caught up and has served some reads, and measures it.
func (p *probe) restart(ctx context.Context) (phase, error) {
	start := time.Now()
	if _, err := p.start(ctx); err != nil {
		return phase{}, err
	}
	defer p.stop()
	ready := time.Since(start)
	if err := p.caughtUp(ctx); err != nil {
		return phase{}, err
	}
	// Paced under the API's rate limit of one key (50 requests a second).
	const reads, rate = 2000, 45
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for i := range reads {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return phase{}, ctx.Err()
		}
		m := (i * 7919) % 1000
		path := "/v1/members/" + bench.Member(m) + "/balance"
		if i%2 == 0 {
			path = "/v1/feed?scope=team:" + bench.Team(m)
		}
		if _, err := p.get(ctx, path); err != nil {
			return phase{}, err
		}
	}
	m, err := memory(p.cmd.Process.Pid)
	if err != nil {
		return phase{}, err
	}
	gm := p.goMemory(ctx)
	p.heapProfile(ctx, "serving")
	return phase{
		name: "restart, caught up, serving reads", mem: m, goMem: gm,
		note: fmt.Sprintf("ready after %s, then %d feed pages and balances", ready.Round(100*time.Millisecond), reads),
	}, nil
}

// caughtUp waits until every projection plauditd runs has nothing left to
// read, twice in a row a second apart. A dead-lettered event fails it: the
// workload is valid, so it would be a bug.
func (p *probe) caughtUp(ctx context.Context) error {
	settled, last := 0, time.Now()
	for settled < 2 {
		select {
		case err := <-p.exited:
			p.cmd = nil
			return fmt.Errorf("plauditd exited: %v (log: %s)", err, p.logFile)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		body, err := p.get(ctx, "/v1/projections")
		if err != nil { // a busy plauditd may answer late: ask again
			progress("  %v", err)
			settled = 0
			continue
		}
		var list struct {
			Projections []projector.Status `json:"projections"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("GET /v1/projections: %w", err)
		}
		if len(list.Projections) == 0 {
			return errors.New("plauditd runs no projection")
		}
		done := true
		var state []string
		for _, s := range list.Projections {
			if s.DeadLettered > 0 {
				return fmt.Errorf("projection %s dead-lettered %d events of the workload", s.Name, s.DeadLettered)
			}
			done = done && s.Lag == 0
			state = append(state, fmt.Sprintf("%s at %d, lag %d", s.Name, s.LastSeq, s.Lag))
		}
		if done {
			settled++
		} else {
			settled = 0
		}
		if time.Since(last) >= 15*time.Second {
			progress("  %s", strings.Join(state, "; "))
			last = time.Now()
		}
	}
	return nil
}

func (p *probe) get(ctx context.Context, path string) ([]byte, error) {
	return bench.Get(ctx, p.client, "http://"+p.httpAddr+path, adminKey)
}

// mem is a process's resident memory, in bytes, from /proc/<pid>/status.
type mem struct {
	HWM, RSS int64 // peak and current resident set
	// Anon is the resident heap and stacks; File the resident pages of
	// mapped files (the stream's and the projection stores' files), which the kernel
	// can drop under pressure.
	Anon, File int64
}

// memory reads a process's resident memory.
func memory(pid int) (mem, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}, fmt.Errorf("rssprobe needs /proc: %w", err)
	}
	defer f.Close()
	var m mem
	fields := map[string]*int64{"VmHWM": &m.HWM, "VmRSS": &m.RSS, "RssAnon": &m.Anon, "RssFile": &m.File}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		dst, want := fields[k]
		if !ok || !want {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return mem{}, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		*dst = kb << 10
	}
	if m.HWM == 0 {
		return mem{}, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return m, sc.Err()
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// heapProfile saves plauditd's heap profile as <pprofDir>/<name>.heap.pb.gz
// when profiles were asked for (go tool pprof reads it). A failure is
// reported and the measurement goes on.
func (p *probe) heapProfile(ctx context.Context, name string) {
	if p.pprofAddr == "" {
		return
	}
	body, err := bench.Get(ctx, p.client, "http://"+p.pprofAddr+"/debug/pprof/heap", "")
	if err == nil {
		err = os.WriteFile(filepath.Join(p.pprofDir, name+".heap.pb.gz"), body, 0o644)
	}
	if err != nil {
		progress("heap profile %s: %v", name, err)
		return
	}
	progress("heap profile: %s", filepath.Join(p.pprofDir, name+".heap.pb.gz"))
}

// goMem is the Go runtime's share of plauditd's memory, from its /metrics:
// what the rest of the resident set is not (Pebble's caches and memtables
// live outside the Go heap, in C memory).
type goMem struct {
	HeapInuse, HeapIdle, HeapReleased, Stack, Sys float64
	ok                                            bool
}

// goMemory reads go_memstats_* from plauditd's /metrics.
func (p *probe) goMemory(ctx context.Context) goMem {
	body, err := bench.Get(ctx, p.client, "http://"+p.httpAddr+"/metrics", "")
	if err != nil {
		progress("metrics: %v", err)
		return goMem{}
	}
	var g goMem
	fields := map[string]*float64{
		"go_memstats_heap_inuse_bytes": &g.HeapInuse, "go_memstats_heap_idle_bytes": &g.HeapIdle,
		"go_memstats_heap_released_bytes": &g.HeapReleased, "go_memstats_stack_inuse_bytes": &g.Stack,
		"go_memstats_sys_bytes": &g.Sys,
	}
	for _, line := range strings.Split(string(body), "\n") {
		name, v, ok := strings.Cut(line, " ")
		if dst, want := fields[name]; ok && want {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				*dst, g.ok = f, true
			}
		}
	}
	return g
}

// String sums the Go runtime's memory up for the report.
func (g goMem) String() string {
	if !g.ok {
		return "Go runtime: not read"
	}
	m := func(b float64) string { return mib(int64(b)) }
	return fmt.Sprintf("Go runtime: heap in use %s, idle and not released %s, stacks %s, obtained from the OS %s",
		m(g.HeapInuse), m(g.HeapIdle-g.HeapReleased), m(g.Stack), m(g.Sys))
}
