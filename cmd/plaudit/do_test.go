package main

import (
	"encoding/json"
	"strings"
	"testing"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// TestDo calls operations by name: bodies from flags and --body, an id
// that is the rest of the path, an operation without a body, and the
// refusals of the server and of the CLI.
func TestDo(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	seedMembers(t, s)
	at := clockBase.Format("2006-01-02T15:04:05Z")
	written := func(r result) apiv1.Written {
		t.Helper()
		var w apiv1.Written
		if err := json.Unmarshal([]byte(r.ok(t).stdout), &w); err != nil || w.Seq == 0 {
			t.Fatalf("do printed %q (%v), want the written reply", r.stdout, err)
		}
		return w
	}

	rated := written(s.cli(t, "do", "ratings.record", "--platform", "cxone", "--interaction_id", "c-7", "--agent", "bo",
		"--score", "5", "--scale", "stars_5", "--channel", "voice", "--handle_time_seconds", "300", "--occurred_at", at))
	corrected := written(s.cli(t, "do", "ratings.correct", "cxone/c-7", "--body", `{"agent":"bo","scale":"stars_5","channel":"voice","score":5}`,
		"--score", "3", "--occurred_at", at, "--reason", "survey edited"))
	if corrected.Seq <= rated.Seq || corrected.Replayed {
		t.Errorf("the correction wrote %+v after the rating's %+v", corrected, rated)
	}

	var keys apiv1.KeyList
	if r := s.cli(t, "do", "keys.list").ok(t); json.Unmarshal([]byte(r.stdout), &keys) != nil || len(keys.Keys) == 0 {
		t.Errorf("keys.list printed %q", r.stdout)
	}

	s.cli(t, "do", "members.upsert", "fay", "--name", "Fay", "--team", "sales", "--time_zone", "Nowhere/Else").fails(t, "(field: time_zone)")
	for _, args := range [][]string{
		{"do", "kudos.pat"},
		{"do", "members.upsert"},
		{"do", "boosts.grant", "--points", "many"},
		{"do", "policy.set", "--body", "[1]"},
	} {
		if r := s.cli(t, args...); r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d (usage); stderr %q", args, r.code, exitUsage, r.stderr)
		}
	}
	help := s.cli(t, "do", "--help").ok(t).stdout
	for _, o := range apiv1.Ops {
		if !strings.Contains(help, o.Name+" ") {
			t.Errorf("do --help does not list %s", o.Name)
		}
	}
}
