package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
)

const adminKey = "test-admin-key-0123456789"

// clockBase is the engines' clock at start: allowance periods and their
// resets do not depend on when the tests run.
var clockBase = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// server is a running engine and its data dir.
type server struct {
	*enginetest.Engine
	dir string
}

// startEngine starts a real engine on dir (a fresh temp dir when empty) and
// addr, and stops it when the test ends unless the test stopped it before.
func startEngine(t *testing.T, dir, addr string) *server {
	t.Helper()
	return startEngineWith(t, dir, addr)
}

// startEngineWith starts an engine running the projections mods, with the
// admin key adminKey, on a clock that starts at clockBase.
func startEngineWith(t *testing.T, dir, addr string, mods ...projector.Module) *server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	start := time.Now()
	e := enginetest.Start(t, engine.Config{
		DataDir: dir, HTTPAddr: addr, BootstrapKey: adminKey, Modules: mods,
		Now: func() time.Time { return clockBase.Add(time.Since(start)) },
	})
	return &server{Engine: e, dir: dir}
}

// result is what one invocation printed.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs plaudit against s with the admin key.
func (s *server) cli(t *testing.T, args ...string) result {
	t.Helper()
	return s.cliKey(t, adminKey, args...)
}

// cliKey runs plaudit against s with key.
func (s *server) cliKey(t *testing.T, key string, args ...string) result {
	t.Helper()
	return runCLI(t, append([]string{"--url", s.URL, "--key", key}, args...)...)
}

func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok fails the test unless the invocation exited 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// printed is the first submatch of re in what the invocation r printed on
// stdout; it fails the test unless r exited 0 and re matches.
func printed(t *testing.T, r result, re *regexp.Regexp) string {
	t.Helper()
	m := re.FindStringSubmatch(r.ok(t).stdout)
	if m == nil {
		t.Fatalf("stdout %q does not match %s", r.stdout, re)
	}
	return m[1]
}

// syncBuffer is an io.Writer that a test may read while another goroutine
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the complete lines written so far.
func (b *syncBuffer) lines() []string {
	s := b.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// waitFor polls until cond holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	if !testenv.Within(timeout, cond) {
		t.Fatalf("timed out waiting: %s", what())
	}
}

// fails fails the test unless the invocation exited non-zero and said want
// on stderr.
func (r result) fails(t *testing.T, want string) result {
	t.Helper()
	if r.code == exitOK || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, want a failure saying %q\nstdout: %s\nstderr: %s", r.code, want, r.stdout, r.stderr)
	}
	return r
}
