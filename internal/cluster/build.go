package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// NATSServerModule is the module nats-server is built from: the version
// go.mod requires is the one Plaudit is tested with.
const NATSServerModule = "github.com/nats-io/nats-server/v2"

var bins struct {
	once sync.Once
	dir  string
	err  error

	mu    sync.Mutex
	built map[string]*binary
}

// binary is one program built once per test process.
type binary struct {
	once sync.Once
	path string
	err  error
}

// binDir is the directory the binaries of this test process are built
// into; RemoveBinaries deletes it.
func binDir() (string, error) {
	bins.once.Do(func() { bins.dir, bins.err = os.MkdirTemp("", "plaudit-cluster-bin-") })
	return bins.dir, bins.err
}

// RemoveBinaries deletes what NATSServer and Plauditd built; call it from
// TestMain once the tests have run.
func RemoveBinaries() {
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
}

// build runs "go build -o <bin dir>/name pkg" once per test process.
func build(tb testing.TB, name, pkg string) string {
	tb.Helper()
	bins.mu.Lock()
	if bins.built == nil {
		bins.built = map[string]*binary{}
	}
	b := bins.built[name]
	if b == nil {
		b = &binary{}
		bins.built[name] = b
	}
	bins.mu.Unlock()
	b.once.Do(func() {
		dir, err := binDir()
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// NATSServer is a nats-server binary of the version go.mod requires: the
// repository's bin/nats-server ("make nats-server") when it reports that
// version, else one built once per test process (the Go build cache makes
// that a link step after the first time).
func NATSServer(tb testing.TB) string {
	tb.Helper()
	if p, ok := upToDateBin(); ok {
		return p
	}
	return build(tb, "nats-server", NATSServerModule)
}

// upToDateBin returns bin/nats-server of the module's root when it is of
// the version go.mod requires.
func upToDateBin() (string, bool) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", NATSServerModule).Output()
	if err != nil {
		return "", false
	}
	version := strings.TrimSpace(string(out))
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || version == "" {
		return "", false
	}
	p := filepath.Join(filepath.Dir(strings.TrimSpace(string(root))), "bin", "nats-server")
	got, err := exec.Command(p, "--version").Output()
	// "nats-server: v2.15.2"
	if err != nil || !bytes.Equal(bytes.TrimSpace(got), []byte("nats-server: "+version)) {
		return "", false
	}
	return p, true
}

// Plauditd is the plauditd binary, built once per test process.
func Plauditd(tb testing.TB) string {
	tb.Helper()
	return build(tb, "plauditd", "github.com/plaudit/plaudit/cmd/plauditd")
}
