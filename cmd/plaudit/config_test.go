package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeySources reads the key and URL from the environment and from the
// key file plauditd writes. It sets environment variables, so it does not
// run in parallel.
func TestKeySources(t *testing.T) {
	s := startEngine(t, "", "")
	keyFile := filepath.Join(s.dir, "admin.key") // "<key>\n", as plauditd writes it
	member := []string{"member", "set", "ana", "--name", "Ana Silva", "--team", "support-emea", "--tz", "Europe/Lisbon"}

	t.Run("key file flag", func(t *testing.T) {
		t.Setenv("PLAUDIT_KEY", "")
		runCLI(t, append([]string{"--url", s.URL, "--key-file", keyFile}, member...)...).ok(t)
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("PLAUDIT_URL", s.URL)
		t.Setenv("PLAUDIT_KEY", "")
		t.Setenv("PLAUDIT_KEY_FILE", keyFile)
		runCLI(t, member...).ok(t)
		t.Setenv("PLAUDIT_KEY", adminKey)
		t.Setenv("PLAUDIT_KEY_FILE", filepath.Join(t.TempDir(), "absent"))
		runCLI(t, member...).ok(t)
	})
	t.Run("flag over environment", func(t *testing.T) {
		t.Setenv("PLAUDIT_URL", "http://127.0.0.1:1")
		t.Setenv("PLAUDIT_KEY", "wrong")
		runCLI(t, append([]string{"--url", s.URL, "--key", adminKey}, member...)...).ok(t)
	})
	t.Run("default key file", func(t *testing.T) {
		t.Setenv("PLAUDIT_KEY", "")
		t.Setenv("PLAUDIT_KEY_FILE", "")
		t.Chdir(filepath.Dir(s.dir))
		if err := os.Symlink(s.dir, "data"); err != nil {
			t.Fatal(err)
		}
		runCLI(t, append([]string{"--url", s.URL}, member...)...).ok(t)
	})
	t.Run("no key", func(t *testing.T) {
		t.Setenv("PLAUDIT_KEY", "")
		r := runCLI(t, append([]string{"--url", s.URL, "--key-file", filepath.Join(t.TempDir(), "absent")}, member...)...)
		if r.code != exitError || !strings.HasPrefix(r.stderr, "error: no API key: pass --key, set PLAUDIT_KEY") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
