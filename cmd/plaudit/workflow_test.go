package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

const (
	thanks  = "Thanks for taking the late escalation call on Friday"
	thanks2 = "Thanks for rewriting the refund runbook so clearly"
)

var kudosGiven = regexp.MustCompile(`^kudos ([0-9a-f-]{36}) given \(seq (\d+)\)\n$`)

// seedMembers adds ana, bo and cy to the tenant.
func seedMembers(t *testing.T, s *server) {
	t.Helper()
	s.cli(t, "member", "set", "ana", "--name", "Ana Silva", "--team", "support-emea", "--tz", "Europe/Lisbon").ok(t)
	s.cli(t, "member", "set", "bo", "--name", "Bo Berg", "--team", "support-emea", "--manager", "ana", "--tz", "Europe/Lisbon").ok(t)
	s.cli(t, "member", "set", "cy", "--name", "Cy Chen", "--team", "support-apac", "--tz", "Asia/Singapore").ok(t)
}

// giveOK gives kudos and returns its id.
func giveOK(t *testing.T, r result) string {
	t.Helper()
	return printed(t, r, kudosGiven)
}

func TestWorkflow(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	var kudosID string

	t.Run("member set", func(t *testing.T) {
		r := s.cli(t, "member", "set", "ana", "--name", "Ana Silva", "--team", "support-emea", "--tz", "Europe/Lisbon").ok(t)
		if r.stdout != "member ana saved (seq 1)\n" {
			t.Errorf("stdout %q", r.stdout)
		}
		s.cli(t, "member", "set", "bo", "--name", "Bo Berg", "--team", "support-emea", "--manager", "ana", "--tz", "Europe/Lisbon").ok(t)
		s.cli(t, "member", "set", "cy", "--name", "Cy Chen", "--team", "support-emea", "--tz", "Europe/Lisbon").ok(t)
	})
	t.Run("policy set", func(t *testing.T) {
		args := []string{"policy", "set", "--allowance", "3", "--period", "day", "--values", "ownership,kindness"}
		if r := s.cli(t, args...).ok(t); r.stdout != "policy set (seq 4)\n" {
			t.Errorf("stdout %q", r.stdout)
		}
		if r := s.cli(t, args...).ok(t); r.stdout != "policy unchanged (seq 4)\n" {
			t.Errorf("setting the same policy again printed %q", r.stdout)
		}
	})
	t.Run("give", func(t *testing.T) {
		kudosID = giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo,cy", "--message", thanks, "--values", "ownership"))
		giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo", "--message", thanks2, "--points", "1"))
	})
	t.Run("allowance exceeded", func(t *testing.T) {
		r := s.cli(t, "give", "--from", "ana", "--to", "cy", "--message", thanks2, "--points", "2")
		if r.code != exitError || r.stdout != "" {
			t.Fatalf("exit %d, stdout %q, want 1 and nothing", r.code, r.stdout)
		}
		for _, want := range []string{
			"error: Allowance exceeded: ",
			"(field: points)",
			"remaining: 0 of 3 points this period (day:2026-11-23), 2 requested",
			"resets at 2026-11-24T00:00:00Z",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr %q lacks %q", r.stderr, want)
			}
		}
	})
	t.Run("react", func(t *testing.T) {
		r := s.cli(t, "react", kudosID, "🎉", "--from", "bo").ok(t)
		if want := "reacted 🎉 to kudos " + kudosID + " (seq 7)\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})
	t.Run("retract", func(t *testing.T) {
		r := s.cli(t, "retract", kudosID, "--reason", "meant for another team", "--from", "ana").ok(t)
		if want := "kudos " + kudosID + " retracted (seq 8)\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
		r = s.cli(t, "retract", kudosID, "--reason", "meant for another team", "--from", "ana")
		if want := `error: Conflict: kudos "` + kudosID + `" is already retracted (field: id)`; r.code != exitError || !strings.Contains(r.stderr, want) {
			t.Errorf("retracting again: exit %d, stderr %q, want %q", r.code, r.stderr, want)
		}
	})
	t.Run("rate twice", func(t *testing.T) {
		args := []string{"rate", "--platform", "cxone", "--interaction", "c-981", "--agent", "bo", "--score", "5",
			"--comment", "Sorted my refund in minutes", "--handle-time", "312", "--at", "2026-11-23T09:30:00Z"}
		if r := s.cli(t, args...).ok(t); r.stdout != "rating cxone c-981 recorded (seq 9)\n" {
			t.Errorf("stdout %q", r.stdout)
		}
		if r := s.cli(t, args...).ok(t); r.stdout != "rating cxone c-981 was already recorded (seq 9)\n" {
			t.Errorf("second rating printed %q", r.stdout)
		}
		r := s.cli(t, append([]string{"--json"}, args...)...).ok(t)
		var w struct {
			Seq      uint64 `json:"seq"`
			Replayed bool   `json:"replayed"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || w.Seq != 9 || !w.Replayed {
			t.Errorf("--json printed %q (%v)", r.stdout, err)
		}
	})
	t.Run("member key", func(t *testing.T) {
		r := s.cli(t, "key", "create", "--role", "member", "--member", "cy").ok(t)
		key := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(key, "plk_") || strings.Contains(key, "\n") {
			t.Fatalf("key create printed %q", r.stdout)
		}
		if !strings.Contains(r.stderr, "shown only this once") || !strings.Contains(r.stderr, "role member, member cy") {
			t.Errorf("key create noted %q", r.stderr)
		}
		giveOK(t, s.cliKey(t, key, "give", "--to", "ana", "--message", thanks2, "--values", "kindness"))
		r = s.cliKey(t, key, "give", "--from", "bo", "--to", "ana", "--message", thanks2)
		if want := "error: Forbidden: a member key acts as cy and cannot act as bo (field: from)\n"; r.code != exitError || r.stderr != want {
			t.Errorf("giving as another member: exit %d, stderr %q, want %q", r.code, r.stderr, want)
		}
		r = s.cliKey(t, key, "policy", "set", "--allowance", "9")
		if r.code != exitError || !strings.HasPrefix(r.stderr, "error: Forbidden: a member key may not set the policy (field: Authorization)") {
			t.Errorf("member setting the policy: exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("problem with its field", func(t *testing.T) {
		r := s.cli(t, "give", "--from", "ana", "--to", "zed", "--message", thanks2)
		if want := "error: Invalid field: no member \"zed\" in this tenant (field: to)\n"; r.code != exitError || r.stderr != want {
			t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
		}
		r = s.cli(t, "--json", "give", "--from", "ana", "--to", "zed", "--message", thanks2)
		var p problem
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Field != "to" || p.Status != 422 {
			t.Errorf("--json printed the problem as %q (%v)", r.stdout, err)
		}
		r = s.cliKey(t, "not-a-key", "give", "--from", "ana", "--to", "bo", "--message", thanks2)
		if r.code != exitError || !strings.HasPrefix(r.stderr, "error: Unauthenticated: ") || !strings.Contains(r.stderr, "(field: Authorization)") {
			t.Errorf("a wrong key: exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("idempotency key", func(t *testing.T) {
		args := []string{"give", "--from", "bo", "--to", "ana", "--message", thanks, "--idempotency-key", "retry-me-1"}
		first := giveOK(t, s.cli(t, args...))
		// The server answers a repeated key with its first answer.
		if again := giveOK(t, s.cli(t, args...)); again != first {
			t.Errorf("the same Idempotency-Key gave kudos %s, then %s", first, again)
		}
		r := s.cli(t, "give", "--from", "bo", "--to", "cy", "--message", thanks, "--idempotency-key", "retry-me-1")
		if r.code != exitError || !strings.Contains(r.stderr, "(field: Idempotency-Key)") {
			t.Errorf("reusing the key for another kudos: exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("boost and member rm", func(t *testing.T) {
		r := s.cli(t, "boost", "--team", "support-emea", "--points", "3", "--from", "2026-11-23", "--to", "2026-11-27", "--reason", "peak week").ok(t)
		if !regexp.MustCompile(`^boost [0-9a-f-]{36} granted \(seq \d+\)\n$`).MatchString(r.stdout) {
			t.Errorf("boost printed %q", r.stdout)
		}
		// The boost lifts ana's limit to 6 today.
		giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "cy", "--message", thanks2, "--points", "2"))
		r = s.cli(t, "member", "rm", "cy", "--reason", "moved on").ok(t)
		if !strings.HasPrefix(r.stdout, "member cy removed (seq ") {
			t.Errorf("member rm printed %q", r.stdout)
		}
	})
}
