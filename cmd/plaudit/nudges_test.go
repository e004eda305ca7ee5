package main

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"

	"github.com/plaudit/plaudit/projections/rules"
)

// TestNudgesAndCorrections: preferences, the nudge a hard call earns, its
// acknowledgement, and a rating corrected and withdrawn, from the CLI.
func TestNudgesAndCorrections(t *testing.T) {
	t.Parallel()
	s := startEngineWith(t, "", "", rules.Module())
	seedMembers(t, s)
	s.cli(t, "policy", "set", "--allowance", "5", "--nudges", `{"wellness":"opt_out","daily_cap":2}`,
		"--rules", `{"rating_kudos":{"stars_5":4}}`).ok(t)
	if r := s.cli(t, "prefs", "bo", "--wellness", "on", "--quiet", "22:00-06:30").ok(t); !strings.HasPrefix(r.stdout, "preferences of bo set (seq ") {
		t.Errorf("prefs printed %q", r.stdout)
	}
	if r := s.cli(t, "prefs", "bo", "--wellness", "on", "--quiet", "22:00-06:30").ok(t); !strings.HasPrefix(r.stdout, "preferences of bo unchanged") {
		t.Errorf("the same prefs again printed %q", r.stdout)
	}
	if r := s.cli(t, "prefs", "bo").ok(t); r.stdout != "wellness: on (opt_out, chose on)\ngap: off (opt_in)\ngiving: off (opt_in)\nquiet hours: 22:00-06:30 Europe/Lisbon (member's)\ndaily cap: 2\n" {
		t.Errorf("prefs bo printed %q", r.stdout)
	}
	r := s.cli(t, "prefs", "bo", "--quiet", "25:00-06:00")
	if r.code != exitError || !strings.Contains(r.stderr, "quiet_hours.start") {
		t.Errorf("bad quiet hours: exit %d, %q", r.code, r.stderr)
	}
	if r := s.cli(t, "prefs", "bo", "--quiet", "late"); r.code != exitUsage {
		t.Errorf("--quiet late: exit %d", r.code)
	}

	at := clockBase.Format("2006-01-02T15:04:05Z")
	s.cli(t, "rate", "--platform", "cxone", "--interaction", "c-1", "--agent", "bo", "--score", "1", "--handle-time", "300", "--at", at).ok(t)
	var line string
	// Issued, then delivered by a second event: wait for the second.
	waitFor(t, 10*time.Second, func() string { return "bo's nudge delivered" }, func() bool {
		line = s.cli(t, "nudges", "bo").ok(t).stdout
		return strings.Contains(line, " delivered (")
	})
	m := regexp.MustCompile(`^([0-9a-f-]{36}) wellness/low_rating delivered \(issued [^)]+\): "`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("nudges printed %q", line)
	}
	if r := s.cli(t, "nudge", "ack", m[1], "--member", "bo").ok(t); !strings.HasPrefix(r.stdout, "nudge "+m[1]+" acknowledged (seq ") {
		t.Errorf("ack printed %q", r.stdout)
	}
	if r := s.cli(t, "nudge", "ack", m[1], "--member", "bo").ok(t); !strings.HasPrefix(r.stdout, "nudge "+m[1]+" was already acknowledged") {
		t.Errorf("ack again printed %q", r.stdout)
	}
	if r := s.cli(t, "nudge", "dismiss", m[1], "--member", "bo"); r.code != exitError || !strings.Contains(r.stderr, "already acknowledged") {
		t.Errorf("dismissing an acknowledged nudge: exit %d, %q", r.code, r.stderr)
	}

	if r := s.cli(t, "rating", "correct", "--platform", "cxone", "--interaction", "c-1", "--agent", "bo", "--score", "4", "--at", at,
		"--handle-time", "300", "--reason", "survey edited").ok(t); !strings.HasPrefix(r.stdout, "rating cxone c-1 corrected (seq ") {
		t.Errorf("correct printed %q", r.stdout)
	}
	if r := s.cli(t, "rating", "withdraw", "--platform", "cxone", "--interaction", "c-1").ok(t); !strings.HasPrefix(r.stdout, "rating cxone c-1 withdrawn (seq ") {
		t.Errorf("withdraw printed %q", r.stdout)
	}
	if r := s.cli(t, "rating", "withdraw", "--platform", "cxone", "--interaction", "c-1").ok(t); !strings.HasPrefix(r.stdout, "rating cxone c-1 was already withdrawn") {
		t.Errorf("withdraw again printed %q", r.stdout)
	}
	if r := s.cli(t, "rating", "correct", "--platform", "cxone", "--interaction", "c-1", "--agent", "bo", "--score", "5", "--at", at); r.code != exitError || !strings.Contains(r.stderr, "withdrawn") {
		t.Errorf("correcting a withdrawn rating: exit %d, %q", r.code, r.stderr)
	}
	// The 4-star correction earned kudos (the tenant's threshold is 4) and
	// the withdrawal took it back.
	waitFor(t, 10*time.Second, func() string { return "the rule kudos given and retracted" }, func() bool {
		var given, retracted int
		err := s.Store.Scan(context.Background(), []string{event.StreamSubjects}, 0, math.MaxUint64, func(m jetstream.Msg, _ uint64) error {
			_, d, err := event.Read(m.Data())
			switch k := d.(type) {
			case event.KudosGiven:
				if k.Channel == event.ChannelRule && k.Recipients[0] == "bo" {
					given++
				}
			case event.KudosRetracted:
				if k.Giver == "customer-cxone" {
					retracted++
				}
			}
			return err
		})
		return err == nil && given == 1 && retracted == 1
	})
}
