package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNATSCredsWorkflow(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	out := filepath.Join(t.TempDir(), "billing.creds")
	r := s.cli(t, "nats-creds", "create", "--role", "downstream", "--name", "billing",
		"--consumer", "kudos=plaudit.default.kudos.>", "--out", out).ok(t)
	id := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(id, "nc_") || !strings.Contains(r.stderr, "_INBOX_"+id) || !strings.Contains(r.stderr, "ds7-default-kudos") {
		t.Fatalf("create printed %q / %q", r.stdout, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("creds file %v %v, want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "BEGIN NATS USER JWT") || !strings.Contains(string(b), "BEGIN USER NKEY SEED") {
		t.Fatalf("creds file %q", b)
	}
	// An existing file is never overwritten, and nothing is issued then.
	s.cli(t, "nats-creds", "create", "--role", "publisher", "--name", "cxone", "--out", out).fails(t, "exists")
	list := s.cli(t, "nats-creds", "list").ok(t).stdout
	if !strings.Contains(list, id) || strings.Contains(list, "cxone") || strings.Count(list, "\n") != 2 {
		t.Fatalf("list:\n%s", list)
	}
	s.cli(t, "nats-creds", "revoke", id).ok(t)
	for _, line := range strings.Split(s.cli(t, "nats-creds", "list").ok(t).stdout, "\n") {
		if strings.HasPrefix(line, id) && strings.HasSuffix(line, " -") {
			t.Fatalf("listed as not revoked: %s", line)
		}
	}
	s.cli(t, "nats-creds", "revoke", "nc_000000000000").fails(t, "no NATS credential")
}

// TestRetriedKeyCreateShowsNoSecret: the answer kept for a retry holds no
// key, and the CLI says so rather than print an empty one.
func TestRetriedKeyCreateShowsNoSecret(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	first := s.cli(t, "key", "create", "--role", "analyst", "--idempotency-key", "k-1").ok(t)
	if len(strings.TrimSpace(first.stdout)) < 16 {
		t.Fatalf("first answer %q", first.stdout)
	}
	s.cli(t, "key", "create", "--role", "analyst", "--idempotency-key", "k-1").fails(t, "shown then")
}

func TestKeyListAndRevoke(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	key := strings.TrimSpace(s.cli(t, "key", "create", "--role", "analyst", "--expires", "2099-01-01T00:00:00Z").ok(t).stdout)
	list := s.cli(t, "key", "list").ok(t).stdout
	if strings.Contains(list, key) || !strings.Contains(list, "2099-01-01T00:00:00Z") || !strings.Contains(list, "analyst") {
		t.Fatalf("list:\n%s", list)
	}
	var id string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "2099-01-01") {
			id = strings.Fields(line)[0]
		}
	}
	s.cli(t, "key", "revoke", id).ok(t)
	s.cliKey(t, key, "key", "list").fails(t, "API key")
	s.cli(t, "key", "revoke", "k_nothing").fails(t, "no key")
}
