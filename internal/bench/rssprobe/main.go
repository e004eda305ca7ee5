// Command rssprobe measures the peak resident memory of plauditd holding a
// large tenant: by default 100,000 members and 1,000,000 kudos, reactions
// and retractions. It builds plauditd, runs it on a fresh data dir with its
// embedded NATS exposed on loopback, publishes the workload into it
// (internal/bench), waits until every projection has caught up, and reads
// the process's VmHWM (peak RSS), VmRSS and its split into anonymous memory
// and mapped files from /proc/<pid>/status. Then it restarts plauditd on
// the same data dir, lets it catch up and serve a few thousand reads, and
// reads them again: the first figure is a bulk import projected live, the
// second what holding the data costs. Beside each it prints the Go
// runtime's share (plauditd's /metrics); with -pprof DIR it also has
// plauditd serve its profiles on loopback (--pprof-addr) and saves a heap
// profile at each measurement, for go tool pprof.
//
// It prints a summary on stdout (make bench's driver shows it) and its
// progress on stderr. Linux only: it reads /proc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	cfg := config{}
	flag.IntVar(&cfg.members, "members", 100_000, "members to upsert first")
	flag.IntVar(&cfg.events, "events", 1_000_000, "kudos, reactions and retractions after the members")
	flag.StringVar(&cfg.plauditd, "plauditd", "", "the plauditd binary to measure; empty builds ./cmd/plauditd with -go")
	flag.StringVar(&cfg.gobin, "go", "go", "the go command, to build plauditd")
	flag.StringVar(&cfg.dir, "dir", "", "work dir (data dir, binary, log); empty: a temporary one, removed afterwards")
	flag.BoolVar(&cfg.restart, "restart", true, "also measure a restart of plauditd on the loaded data dir")
	flag.BoolVar(&cfg.serveOnly, "serve-only", false, "measure only a restart on the data dir -dir holds from an earlier run (a quick look at serving)")
	flag.StringVar(&cfg.pprof, "pprof", "", "save plauditd's heap profiles in this dir (plauditd --pprof-addr on loopback); empty: none")
	flag.DurationVar(&cfg.timeout, "timeout", 45*time.Minute, "give up after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "rssprobe:", err)
		os.Exit(1)
	}
}

type config struct {
	members, events int
	plauditd, gobin string
	dir             string
	pprof           string
	restart         bool
	serveOnly       bool
	timeout         time.Duration
}

func (c config) validate() error {
	var errs []error
	if c.members < 2 {
		errs = append(errs, errors.New("-members must be at least 2"))
	}
	if c.events < 1 {
		errs = append(errs, errors.New("-events must be positive"))
	}
	if c.serveOnly && c.dir == "" {
		errs = append(errs, errors.New("-serve-only needs -dir, holding the data dir of an earlier run"))
	}
	if c.timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, cfg config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	dir := cfg.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rssprobe-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	bin := cfg.plauditd
	if bin == "" {
		bin = filepath.Join(dir, "plauditd")
		progress("building plauditd")
		build := exec.CommandContext(ctx, cfg.gobin, "build", "-o", bin, "./cmd/plauditd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build plauditd: %w", err)
		}
	}
	p := probe{bin: bin, dataDir: filepath.Join(dir, "data"), logFile: filepath.Join(dir, "plauditd.log"), pprofDir: cfg.pprof}
	if cfg.pprof != "" {
		if err := os.MkdirAll(cfg.pprof, 0o755); err != nil {
			return err
		}
	}

	var (
		load   phase
		phases []phase
		err    error
	)
	if !cfg.serveOnly {
		if load, err = p.load(ctx, cfg.members, cfg.events); err != nil {
			return err
		}
		phases = append(phases, load)
	}
	if cfg.restart || cfg.serveOnly {
		again, err := p.restart(ctx)
		if err != nil {
			return err
		}
		phases = append(phases, again)
	}
	size := dirSize(p.dataDir)
	if cfg.serveOnly {
		fmt.Printf("plauditd on the data dir of an earlier run (%s)\n", mib(size))
	} else {
		fmt.Printf("plauditd holding %d members and %d events (%d in the stream, on %d subjects; data dir %s)\n",
			cfg.members, cfg.events, load.streamEvents, load.subjects, mib(size))
	}
	for _, ph := range phases {
		fmt.Printf("  %-34s peak RSS (VmHWM) %s; at the end RSS %s = %s heap and stacks + %s mapped files (%s)\n",
			ph.name+":", mib(ph.mem.HWM), mib(ph.mem.RSS), mib(ph.mem.Anon), mib(ph.mem.File), ph.note)
		fmt.Printf("  %-34s %s\n", "", ph.goMem)
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rssprobe: "+format+"\n", args...)
}

func mib(bytes int64) string { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }

// dirSize is the bytes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
