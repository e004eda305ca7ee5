package main

import (
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	// No server listens on port 1: none of these may reach one.
	const url = "http://127.0.0.1:1"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring; "" checks nothing
		stderr string
	}{
		{"no command", nil, exitUsage, "", "no command given"},
		{"unknown command", []string{"frob"}, exitUsage, "", `unknown command "frob"`},
		{"unknown global flag", []string{"--frob", "version"}, exitUsage, "", "flag provided but not defined: -frob"},
		{"bad url", []string{"--url", "localhost:8080", "version"}, exitUsage, "", `--url "localhost:8080"`},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"-h", []string{"-h"}, exitOK, "Global flags", ""},
		{"command help", []string{"give", "-h"}, exitOK, "usage: plaudit give --to", ""},
		{"help command", []string{"help", "member", "set"}, exitOK, "usage: plaudit member set ID", ""},
		{"group help", []string{"member", "-h"}, exitOK, "usage: plaudit member set|rm", ""},
		{"version", []string{"version"}, exitOK, "plaudit " + version, ""},
		{"give without --to", []string{"give", "--from", "ana", "--message", "hi"}, exitUsage, "", "plaudit give: missing --to"},
		{"give with empty --to", []string{"give", "--to", ",", "--message", "hi"}, exitUsage, "", "--to names no member"},
		{"give with bad points", []string{"give", "--to", "bo", "--message", "hi", "--points", "x"}, exitUsage, "", `invalid value "x" for flag -points`},
		{"react without emoji", []string{"react", "k1"}, exitUsage, "", "missing EMOJI"},
		{"react with too much", []string{"react", "k1", "🎉", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{"retract without reason", []string{"retract", "k1"}, exitUsage, "", "missing --reason"},
		{"rate without score", []string{"rate", "--platform", "cxone", "--interaction", "c1", "--agent", "bo"}, exitUsage, "", "missing --score"},
		{"rate with a bad time", []string{"rate", "--platform", "cxone", "--interaction", "c1", "--agent", "bo", "--score", "5", "--at", "yesterday"}, exitUsage, "", "--at \"yesterday\""},
		{"member without subcommand", []string{"member"}, exitUsage, "", "missing subcommand"},
		{"member unknown subcommand", []string{"member", "add"}, exitUsage, "", `unknown subcommand "add"`},
		{"member set without id", []string{"member", "set", "--name", "Ana"}, exitUsage, "", "missing ID"},
		{"member set without tz", []string{"member", "set", "ana", "--name", "Ana", "--team", "t"}, exitUsage, "", "missing --tz"},
		{"policy set without allowance", []string{"policy", "set", "--period", "week"}, exitUsage, "", "missing --allowance"},
		{"boost for both", []string{"boost", "--member", "a", "--team", "t", "--points", "1", "--from", "2026-11-23", "--to", "2026-11-23"}, exitUsage, "", "exactly one of --member and --team"},
		{"boost for nobody", []string{"boost", "--points", "1"}, exitUsage, "", "exactly one of --member and --team"},
		{"key create without role", []string{"key", "create"}, exitUsage, "", "missing --role"},
		{"tail with both starts", []string{"tail", "--from-start", "--after", "3"}, exitUsage, "", "exclude each other"},
		{"usage line", []string{"give"}, exitUsage, "", "usage: plaudit give --to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, append([]string{"--url", url, "--key", "k"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
		})
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	s := &spec{name: "react", pos: []string{"KUDOS_ID", "EMOJI"}}
	fs := s.flags()
	from := fs.String("from", "", "")
	c := &cli{}
	pos, err := c.parse(s, []string{"k1", "--from", "ana", "--", "-1"})
	if err != nil {
		t.Fatal(err)
	}
	if *from != "ana" || len(pos) != 2 || pos[0] != "k1" || pos[1] != "-1" {
		t.Errorf("parse: from %q, positional %q", *from, pos)
	}
}

func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "--url", "http://127.0.0.1:1", "--key", "k", "give", "--from", "ana", "--to", "bo", "--message", "thanks for the on-call handover notes")
	if r.code != exitError || !strings.Contains(r.stderr, "error: cannot reach plauditd at http://127.0.0.1:1") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    problem
		want string
	}{
		{problem{Title: "Invalid field", Status: 422, Detail: "to: no member \"zed\" in this tenant", Field: "to"}, `Invalid field: no member "zed" in this tenant (field: to)`},
		{problem{Title: "Unauthenticated", Status: 401, Detail: "send a valid API key", Field: "Authorization"}, "Unauthenticated: send a valid API key (field: Authorization)"},
		{problem{Title: "Internal error", Status: 500}, "Internal error"},
		{problem{Status: 502, Detail: "<html>bad gateway</html>"}, "HTTP 502 Bad Gateway: <html>bad gateway</html>"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
