package main

import (
	"strings"
	"testing"
)

// TestLoginLink: login-link prints a one-time link under the engine's
// address, and says what the API refuses.
func TestLoginLink(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "127.0.0.1:0")
	s.cli(t, "member", "set", "ana", "--name", "Ana Silva", "--team", "support", "--tz", "Europe/Lisbon").ok(t)
	r := s.cli(t, "login-link", "ana").ok(t)
	if link := strings.TrimSpace(r.stdout); !strings.HasPrefix(link, s.URL+"/signin?token=pls_") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("login-link printed %q, want one link under %s", r.stdout, s.URL)
	}
	if !strings.Contains(r.stderr, "signs in ana as member, once") {
		t.Errorf("login-link said %q", r.stderr)
	}
	if r := s.cli(t, "login-link", "nobody"); r.code != exitError || !strings.Contains(r.stderr, "(field: member)") {
		t.Errorf("a link for nobody: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := s.cli(t, "login-link", "ana", "--minutes", "90"); r.code != exitError || !strings.Contains(r.stderr, "(field: ttl_minutes)") {
		t.Errorf("a 90-minute link: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := s.cli(t, "login-link"); r.code != exitUsage {
		t.Errorf("no member: exit %d", r.code)
	}
}
