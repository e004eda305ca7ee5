package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := engine.Config{DataDir: "/tmp/x", HTTPAddr: "127.0.0.1:0"}
	tests := []struct {
		name   string
		change func(*engine.Config)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(*engine.Config) {}, nil},
		{"valid with a bootstrap key and a NATS listener", func(c *engine.Config) {
			c.BootstrapKey, c.NATSListen = strings.Repeat("k", 16), "127.0.0.1:4222"
		}, nil},
		{"no data dir", func(c *engine.Config) { c.DataDir = "" }, []string{"data-dir"}},
		{"bad http addr", func(c *engine.Config) { c.HTTPAddr = "8080" }, []string{"http-addr"}},
		{"listen with an external NATS", func(c *engine.Config) {
			c.NATSListen, c.NATSURL = "127.0.0.1:4222", "nats://x:4222"
		}, []string{"nats-listen"}},
		{"bad nats listen", func(c *engine.Config) { c.NATSListen = "4222" }, []string{"nats-listen"}},
		{"external NATS without credentials", func(c *engine.Config) { c.NATSURL = "nats://x:4222" }, []string{"nats-url needs credentials"}},
		{"external NATS with a creds file", func(c *engine.Config) { c.NATSURL, c.NATSCreds = "nats://x:4222", "x.creds" }, nil},
		{"creds without an external NATS", func(c *engine.Config) { c.NATSCreds = "x.creds" }, []string{"nats-creds"}},
		{"TLS cert without its key", func(c *engine.Config) { c.NATSListen, c.NATSTLSCert = "127.0.0.1:4222", "c.pem" }, []string{"nats-tls-key"}},
		{"TLS without a listener", func(c *engine.Config) { c.NATSTLSCert, c.NATSTLSKey = "c.pem", "k.pem" }, []string{"nats-listen"}},
		{"too many replicas", func(c *engine.Config) { c.Replicas = 7 }, []string{"replicas"}},
		{"short bootstrap key", func(c *engine.Config) { c.BootstrapKey = "short" }, []string{"BOOTSTRAP_KEY"}},
		{"every problem at once", func(c *engine.Config) {
			*c = engine.Config{HTTPAddr: "x", Replicas: -1, BootstrapKey: "short"}
		}, []string{"data-dir", "http-addr", "replicas", "BOOTSTRAP_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted the config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

// start starts an engine on dir and stops it when stop is called or the
// test ends.
func start(t *testing.T, dir, bootstrapKey string) (e *engine.Engine, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Start(ctx, engine.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", BootstrapKey: bootstrapKey, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	done := false
	stop = func() {
		if done {
			return
		}
		done = true
		cancel()
		if err := e.Wait(ctx, 5*time.Second); err != nil {
			t.Errorf("engine: %v", err)
		}
	}
	t.Cleanup(stop)
	return e, stop
}

// status sends one request with key and returns the answer's status.
func status(t *testing.T, e *engine.Engine, method, path, key, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+e.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// authenticates reports whether key is an admin key of the engine.
func authenticates(t *testing.T, e *engine.Engine, key string) bool {
	t.Helper()
	switch s := status(t, e, "PUT", "/v1/members/ana", key, `{"name":"Ana","team":"support","time_zone":"Europe/Lisbon"}`); s {
	case http.StatusCreated, http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	default:
		t.Fatalf("PUT /v1/members/ana: %d", s)
		return false
	}
}

// TestGeneratedAdminKey: without a bootstrap key the first start generates
// one into admin.key (mode 0600), which authenticates, and later starts
// keep it.
func TestGeneratedAdminKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e, stop := start(t, dir, "")
	file := filepath.Join(dir, "admin.key")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("admin.key: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("admin.key has mode %o, want 600", mode)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 16 {
		t.Fatalf("admin.key holds %q", key)
	}
	if !authenticates(t, e, key) {
		t.Error("the generated key does not authenticate")
	}
	if status(t, e, "GET", "/healthz", "", "") != http.StatusOK || status(t, e, "GET", "/readyz", "", "") != http.StatusOK {
		t.Error("probes not OK")
	}
	stop()

	e, _ = start(t, dir, "")
	b2, err := os.ReadFile(file)
	if err != nil || string(b2) != string(b) {
		t.Errorf("admin.key changed on restart: %q, %v", b2, err)
	}
	if !authenticates(t, e, key) {
		t.Error("the generated key does not authenticate after a restart")
	}
}

// TestBootstrapKey: PLAUDIT_BOOTSTRAP_KEY becomes the first admin key; a
// different one on a later start is ignored.
func TestBootstrapKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const key, later = "bootstrap-key-0123456789", "another-bootstrap-key-0123456789"
	e, stop := start(t, dir, key)
	if !authenticates(t, e, key) {
		t.Fatal("the bootstrap key does not authenticate")
	}
	if authenticates(t, e, "bootstrap-key-0123456788") {
		t.Fatal("a near miss authenticates")
	}
	if fi, err := os.Stat(filepath.Join(dir, "admin.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.key: %v, %v", fi, err)
	}
	stop()

	e, _ = start(t, dir, later)
	if !authenticates(t, e, key) {
		t.Error("the bootstrap key does not authenticate after a restart")
	}
	if authenticates(t, e, later) {
		t.Error("a second bootstrap key was accepted on a bootstrapped data dir")
	}
}

// TestStartFailsCleanly: a port in use fails Start with an error, and the
// data dir can be used right after.
func TestStartFailsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e, _ := start(t, t.TempDir(), "")
	_, err := engine.Start(context.Background(), engine.Config{
		DataDir: dir, HTTPAddr: e.HTTPAddr(), Logger: slog.New(slog.DiscardHandler),
	})
	if err == nil || !strings.Contains(err.Error(), "http") {
		t.Fatalf("Start on a busy port: %v", err)
	}
	e2, _ := start(t, dir, "")
	if status(t, e2, "GET", "/readyz", "", "") != http.StatusOK {
		t.Error("not ready after a failed start on the same data dir")
	}
}

// TestBootstrapInterrupted: a first start that stored the bootstrap key
// but stopped before marking the data dir bootstrapped does not keep the
// next start from coming up, and a stale admin.key is made private.
func TestBootstrapInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const key = "bootstrap-key-0123456789"
	e, stop := start(t, dir, key)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js, err := jetstream.New(e.Conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, auth.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(ctx, "meta.bootstrapped"); err != nil {
		t.Fatal(err)
	}
	stop()
	file := filepath.Join(dir, "admin.key")
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}

	e, _ = start(t, dir, key)
	if !authenticates(t, e, key) {
		t.Error("the bootstrap key does not authenticate")
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.key: %v, %v", fi.Mode(), err)
	}
}

// TestShutdownWithinGrace: Wait returns soon after the grace even with an
// event stream following and a connection that never sent a request, and
// both are closed.
func TestShutdownWithinGrace(t *testing.T) {
	t.Parallel()
	const key = "bootstrap-key-0123456789"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := engine.Start(ctx, engine.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BootstrapKey: key, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	idle, err := net.Dial("tcp", e.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	req, _ := http.NewRequest("GET", "http://"+e.HTTPAddr()+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	streamDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		streamDone <- err
	}()

	cancel()
	began := time.Now()
	const grace = 300 * time.Millisecond
	if err := e.Wait(ctx, grace); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if took := time.Since(began); took > grace+2*time.Second {
		t.Errorf("Wait took %v with a grace of %v", took, grace)
	}
	select {
	case <-streamDone:
	case <-time.After(2 * time.Second):
		t.Error("the event stream is still open after Wait")
	}
	_ = idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("the idle connection is still open after Wait: %v", err)
	}
}

// TestKudosIndexAfterRestart: the write side's indexes are on disk under
// the data dir, the engine's alone, and a restarted engine, whose kudos
// index starts empty, still finds a kudos given before the restart.
func TestKudosIndexAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e, stop := start(t, dir, "")
	ctx := t.Context()
	for _, m := range []string{"ana", "ben"} {
		if _, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
			Member: m, Name: m, Team: "support", TimeZone: "UTC", Active: true,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	given, err := e.Command.GiveKudos(ctx, command.GiveKudos{
		Tenant: "acme", From: "ana", To: []string{"ben"}, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI,
		Message: "Thanks for taking the escalated refund call and keeping the customer calm",
	})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "write-index.pebble")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("write-index.pebble: %v, %v; want a directory of mode 0700", fi, err)
	}
	stop()

	e, _ = start(t, dir, "")
	id := given.Events[0].ID
	if live, err := e.Command.KudosLive(ctx, "acme", id); err != nil || !live {
		t.Fatalf("after a restart KudosLive(%s) = %v, %v", id, live, err)
	}
	if _, err := e.Command.RetractKudos(ctx, command.RetractKudos{Tenant: "acme", KudosID: id, By: "ana", ByRole: event.ByGiver, Reason: "sent to the wrong person"}); err != nil {
		t.Fatalf("retracting a kudos given before the restart: %v", err)
	}
	if live, err := e.Command.KudosLive(ctx, "acme", id); err != nil || live {
		t.Errorf("after its retraction KudosLive(%s) = %v, %v", id, live, err)
	}
}
