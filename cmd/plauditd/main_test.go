package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/analytics"
)

// buildPlauditd compiles the real binary once per test run.
func buildPlauditd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plauditd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

// TestSignalStopsCleanly runs plauditd as a process configured through the
// environment, makes a write, and stops it with SIGTERM: it exits 0 and a
// restart on the same data dir keeps the write and the generated admin key.
func TestSignalStopsCleanly(t *testing.T) {
	bin := buildPlauditd(t)
	dataDir := t.TempDir()
	for round := range 2 {
		addr := testenv.FreeAddr(t)
		var logs bytes.Buffer
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "PLAUDIT_DATA_DIR="+dataDir, "PLAUDIT_HTTP_ADDR="+addr)
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		url := "http://" + addr
		waitReady(t, url)

		key, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
		if err != nil {
			t.Fatalf("round %d: admin key: %v", round, err)
		}
		if fi, _ := os.Stat(filepath.Join(dataDir, "admin.key")); fi.Mode().Perm() != 0o600 {
			t.Errorf("admin.key mode %v, want 0600", fi.Mode().Perm())
		}
		req, _ := http.NewRequest(http.MethodPut, url+"/v1/members/ana", strings.NewReader(
			`{"name":"Ana Silva","team":"support-emea","time_zone":"Europe/Lisbon"}`))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The first round creates ana; the second finds her unchanged.
		want := []int{http.StatusCreated, http.StatusOK}[round]
		if resp.StatusCode != want {
			t.Fatalf("round %d: PUT member: %d %s, want %d", round, resp.StatusCode, body, want)
		}

		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: plauditd exited with %v\n%s", round, err, logs.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("round %d: plauditd did not stop on SIGTERM\n%s", round, logs.String())
		}
		if !strings.Contains(logs.String(), "plauditd stopped") {
			t.Errorf("round %d: log lacks the stop line:\n%s", round, logs.String())
		}
	}
	// Nothing plauditd wrote is open to group or others.
	err := filepath.WalkDir(dataDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is mode %v", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConfigReportsEveryProblem: bad flags are all reported at once.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := parseConfig([]string{"--http-addr", "nonsense", "--nats-listen", "also-bad", "--nats-url", "nats://127.0.0.1:4222",
		"--replicas", "9", "--log-level", "loud", "--gc-percent", "5", "--clickhouse-dsn", "mysql://nope", "--memory-limit-mib", "-5",
		"--slack-api-url", "ftp://slack.example/api/", "--otlp-endpoint", "collector:4318", "--trace-sample", "1.5"})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"http-addr", "nats-listen", "replicas", "log-level", "gc-percent", "clickhouse-dsn", "memory-limit-mib", "slack-api-url",
		"otlp-endpoint", "trace-sample"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	o, err := parseConfig([]string{"projector", "feed", "--nats-url", "nats://127.0.0.1:4222", "--nats-creds", "feed.creds"})
	cfg, gc := o.cfg, o.gc
	if err != nil || cfg.Only != "feed" || cfg.NATSURL == "" || cfg.Components != nil {
		t.Fatalf("projector mode: %+v, %v", cfg, err)
	}
	if gc.value != engine.DefaultGCPercent || gc.set {
		t.Errorf("gc-percent by default = %+v, want %d, not set", gc, engine.DefaultGCPercent)
	}
	if o, err := parseConfig([]string{"--gc-percent", "150"}); err != nil || o.gc.value != 150 || !o.gc.set {
		t.Errorf("--gc-percent 150 = %+v, %v", o.gc, err)
	}
	if o, err := parseConfig([]string{"--slack-api-url", "http://127.0.0.1:8091/api/"}); err != nil || o.cfg.Integrations[slack.Name] == nil {
		t.Errorf("--slack-api-url: %+v, %v", o.cfg.Integrations, err)
	}
	o, err = parseConfig([]string{"--clickhouse-dsn", "clickhouse://127.0.0.1:9000/plaudit"})
	if err != nil || o.cfg.Components[analytics.Name] == nil {
		t.Errorf("--clickhouse-dsn: %+v, %v", o, err)
	}
	if o, err := parseConfig(nil); err != nil || o.cfg.MetricsTenantLabel {
		t.Errorf("the tenant label is on by default: %v", err)
	}
	if o, err := parseConfig([]string{"--metrics-tenant-label"}); err != nil || !o.cfg.MetricsTenantLabel {
		t.Errorf("--metrics-tenant-label: %+v, %v", o.cfg.MetricsTenantLabel, err)
	}
}

// TestMetricsTenantLabelFromEnv: PLAUDIT_METRICS_TENANT_LABEL turns the
// tenant label on, and a value that is no boolean is reported.
func TestMetricsTenantLabelFromEnv(t *testing.T) {
	t.Setenv("PLAUDIT_METRICS_TENANT_LABEL", "true")
	if o, err := parseConfig(nil); err != nil || !o.cfg.MetricsTenantLabel {
		t.Errorf("PLAUDIT_METRICS_TENANT_LABEL=true: %v, %v", o.cfg.MetricsTenantLabel, err)
	}
	t.Setenv("PLAUDIT_METRICS_TENANT_LABEL", "per-tenant")
	if _, err := parseConfig(nil); err == nil || !strings.Contains(err.Error(), "metrics-tenant-label") {
		t.Errorf("PLAUDIT_METRICS_TENANT_LABEL=per-tenant: %v", err)
	}
}

// TestNATSInit: nats-init writes the keys (0600 in a 0700 dir) and a
// server configuration that holds no seed; run again, it keeps the keys.
func TestNATSInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys, conf := filepath.Join(dir, "keys"), filepath.Join(dir, "nats", "auth.conf")
	if err := natsInit([]string{"--keys", keys, "--server-config", conf}); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(keys, "account.nk"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(keys); fi.Mode().Perm() != 0o700 {
		t.Errorf("keys dir mode %v", fi.Mode().Perm())
	}
	text, _ := os.ReadFile(conf)
	if !strings.Contains(string(text), "operator:") || !strings.Contains(string(text), "resolver_preload") || strings.Contains(string(text), strings.TrimSpace(string(first))) {
		t.Fatalf("server configuration:\n%s", text)
	}
	// Run again, it writes nothing: the configuration it would write anew
	// would undo revocations at the servers' next start.
	if err := natsInit([]string{"--keys", keys, "--server-config", conf}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second nats-init: %v", err)
	}
	if again, _ := os.ReadFile(filepath.Join(keys, "account.nk")); string(again) != string(first) {
		t.Error("a second nats-init replaced the account key")
	}
	if again, _ := os.ReadFile(conf); string(again) != string(text) {
		t.Error("a second nats-init rewrote the server configuration")
	}
	if err := natsInit(nil); err == nil || !strings.Contains(err.Error(), "keys") || !strings.Contains(err.Error(), "server-config") {
		t.Errorf("without flags: %v", err)
	}
}
