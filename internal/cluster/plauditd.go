package cluster

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/testenv"
)

// Process is a plauditd process: the engine, or one projector of it
// ("plauditd projector NAME"), with its own data dir and HTTP address.
type Process struct {
	// URL is its HTTP API, "http://127.0.0.1:<port>".
	URL  string
	Name string

	bin     string
	args    []string
	env     []string
	dataDir string
	addr    string
	log     string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartPlauditd starts bin (Plauditd) with args, env added to the test's
// environment, a data dir of its own and a free HTTP address, and returns
// once it is ready (GET /readyz). name tells it apart in failure reports.
// It is killed when the test ends.
func StartPlauditd(tb testing.TB, bin, name string, args []string, env ...string) *Process {
	tb.Helper()
	dir := tb.TempDir()
	p := &Process{
		Name: name, bin: bin, args: args, env: env,
		dataDir: filepath.Join(dir, "data"), addr: testenv.FreeAddr(tb), log: filepath.Join(dir, "plauditd.log"),
	}
	p.URL = "http://" + p.addr
	tb.Cleanup(func() {
		p.Kill()
		if tb.Failed() {
			tb.Logf("plauditd %s log tail:\n%s", p.Name, tailFile(p.log, 4000))
		}
	})
	p.Restart(tb)
	return p
}

// Restart starts the process (again) on its data dir and address, and
// returns once it is ready.
func (p *Process) Restart(tb testing.TB) {
	tb.Helper()
	p.mu.Lock()
	if p.cmd != nil {
		p.mu.Unlock()
		tb.Fatalf("plauditd %s is running", p.Name)
	}
	args := append([]string{}, p.args...)
	args = append(args, "--data-dir", p.dataDir, "--http-addr", p.addr)
	cmd := exec.Command(p.bin, args...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.mu.Unlock()
		tb.Fatal(err)
	}
	fmt.Fprintf(out, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		out.Close()
		tb.Fatalf("start plauditd %s: %v", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		out.Close()
		p.mu.Lock()
		p.cmd, p.done = nil, nil
		p.mu.Unlock()
		close(done)
	}()
	var last error
	if !testenv.Within(90*time.Second, func() bool {
		select {
		case <-done:
			last = fmt.Errorf("exited")
			return true
		default:
		}
		last = p.ready()
		return last == nil
	}) || last != nil {
		tb.Fatalf("plauditd %s not ready: %v\n%s", p.Name, last, tailFile(p.log, 4000))
	}
}

var readyClient = &http.Client{Timeout: 5 * time.Second}

func (p *Process) ready() error {
	resp, err := readyClient.Get(p.URL + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %d", resp.StatusCode)
	}
	return nil
}

// Kill stops the process with SIGKILL and waits for it to exit.
func (p *Process) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Running reports whether the process runs: an engine that gave up (a
// component failed) has exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Log is the process's log so far.
func (p *Process) Log() string { return tailFile(p.log, 1<<20) }
