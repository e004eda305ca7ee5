package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ClickHouseServer is a real clickhouse-server process on loopback ports
// with a throw-away data dir, for tests. make test installs Debian's
// clickhouse-server when it is missing; a test that needs it fails (never
// skips) when it cannot start.
type ClickHouseServer struct {
	Dir      string
	TCPPort  int
	HTTPPort int
	cmd      *exec.Cmd
	done     chan struct{}
}

// usersConfig is where Debian's package puts the default user (no
// password, loopback only).
const usersConfig = "/etc/clickhouse-server/users.xml"

// ClickHouseBinary finds clickhouse-server.
func ClickHouseBinary() (string, error) {
	for _, name := range []string{"clickhouse-server", "clickhouse"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("clickhouse-server is not installed: make test installs Debian's clickhouse-server package (apt-get install clickhouse-server clickhouse-client)")
}

func freePort() (int, error) {
	a, err := freeAddr()
	if err != nil {
		return 0, err
	}
	return a.Port, nil
}

// StartClickHouse starts a server in dir (created), on free loopback ports.
func StartClickHouse(dir string) (*ClickHouseServer, error) {
	tcp, err := freePort()
	if err != nil {
		return nil, err
	}
	http, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &ClickHouseServer{Dir: dir, TCPPort: tcp, HTTPPort: http}
	return s, s.Start()
}

// Start starts the server (again, after Stop) on its ports and data dir,
// and returns once it answers.
func (s *ClickHouseServer) Start() error {
	bin, err := ClickHouseBinary()
	if err != nil {
		return err
	}
	for _, d := range []string{"data", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	config := filepath.Join(s.Dir, "config.xml")
	xml := fmt.Sprintf(`<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/server.err.log</errorlog></logger>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <users_config>%[4]s</users_config>
  <mark_cache_size>67108864</mark_cache_size>
</yandex>
`, s.Dir, s.TCPPort, s.HTTPPort, usersConfig)
	if err := os.WriteFile(config, []byte(xml), 0o644); err != nil {
		return err
	}
	args := []string{"--config-file=" + config}
	if filepath.Base(bin) == "clickhouse" {
		args = append([]string{"server"}, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.Dir
	// A zone off UTC by half an hour: a day or a week that follows the
	// server's zone instead of the data's shows in the tests.
	cmd.Env = append(os.Environ(), "TZ=Asia/Kolkata")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := os.Create(filepath.Join(s.Dir, "stdout.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start clickhouse-server: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := s.ping()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "server.err.log"))
			return fmt.Errorf("clickhouse-server exited: %s", tail(log, 2000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("clickhouse-server did not answer in 60 s: %w", err)
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (s *ClickHouseServer) ping() error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()}, DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return conn.Ping(ctx)
}

// Addr is the server's native protocol address.
func (s *ClickHouseServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.TCPPort) }

// DSN is the server's address for database db.
func (s *ClickHouseServer) DSN(db string) string { return "clickhouse://" + s.Addr() + "/" + db }

// Stop stops the server and waits for it to exit.
func (s *ClickHouseServer) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cmd = nil
}

// CreateDatabase creates a database with a fresh name and returns it.
func (s *ClickHouseServer) CreateDatabase(prefix string) (string, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := prefix + "_" + hex.EncodeToString(b)
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()}})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db, conn.Exec(ctx, "CREATE DATABASE "+db)
}

var shared struct {
	once sync.Once
	srv  *ClickHouseServer
	err  error
}

// ClickHouse returns a DSN to a new database on the test binary's shared
// server, started on first use; StopClickHouse stops it (TestMain). It fails
// the test when the server cannot start.
func ClickHouse(tb testing.TB) string {
	tb.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "plaudit-clickhouse-")
		if err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = StartClickHouse(dir)
	})
	if shared.err != nil {
		tb.Fatalf("ClickHouse: %v", shared.err)
	}
	db, err := shared.srv.CreateDatabase("t")
	if err != nil {
		tb.Fatalf("ClickHouse: %v", err)
	}
	return shared.srv.DSN(db)
}

// NewClickHouse starts a server of the test's own, stopped when it ends:
// for tests that stop and start it.
func NewClickHouse(tb testing.TB) *ClickHouseServer {
	tb.Helper()
	s, err := StartClickHouse(tb.TempDir())
	if err != nil {
		tb.Fatalf("ClickHouse: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StopClickHouse stops the shared server, if one started, and removes its
// data. Call it from TestMain after m.Run.
func StopClickHouse() {
	if shared.srv != nil {
		shared.srv.Stop()
		_ = os.RemoveAll(shared.srv.Dir)
	}
}
