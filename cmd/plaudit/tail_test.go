package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// tailRun is a tail running in the background.
type tailRun struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

func startTail(t *testing.T, args ...string) *tailRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &tailRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { tr.done <- run(ctx, args, tr.stdout, tr.stderr) }()
	t.Cleanup(func() { tr.stop(t) })
	return tr
}

// stop interrupts the tail and returns its exit code.
func (tr *tailRun) stop(t *testing.T) int {
	t.Helper()
	tr.cancel()
	select {
	case code := <-tr.done:
		tr.done <- code // for a second stop
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("tail did not stop when cancelled")
		return -1
	}
}

// waitLines waits until the tail printed lines matching every pattern, in
// order, each on its own line, and returns the lines.
func (tr *tailRun) waitLines(t *testing.T, patterns ...string) []string {
	t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	matches := func() bool {
		i := 0
		for _, l := range tr.stdout.lines() {
			if i < len(res) && res[i].MatchString(l) {
				i++
			}
		}
		return i == len(res)
	}
	waitFor(t, 15*time.Second, func() string {
		return "tail lines\n" + tr.stdout.String() + "\nstderr:\n" + tr.stderr.String() + "\nwant, in order:\n" + strings.Join(patterns, "\n")
	}, matches)
	return tr.stdout.lines()
}

const ts = `20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ`

func TestTail(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	seedMembers(t, s)
	s.cli(t, "policy", "set", "--allowance", "5", "--period", "day", "--values", "ownership,kindness").ok(t)
	id := giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo,cy", "--message", thanks+" when the queue was on fire", "--values", "ownership"))
	s.cli(t, "react", id, "🎉", "--from", "bo").ok(t)
	s.cli(t, "retract", id, "--reason", "wrong team", "--from", "ana").ok(t)
	s.cli(t, "rate", "--platform", "cxone", "--interaction", "c-981", "--agent", "bo", "--score", "5", "--at", "2026-11-23T09:30:00Z").ok(t)
	s.cli(t, "boost", "--team", "support-emea", "--points", "3", "--from", "2026-11-23", "--to", "2026-11-27").ok(t)
	s.cli(t, "member", "rm", "cy", "--reason", "moved on").ok(t)

	tr := startTail(t, "--url", s.URL, "--key", adminKey, "tail", "--from-start")
	q := regexp.QuoteMeta
	tr.waitLines(t,
		`^#1 `+ts+` member_upserted ana \(Ana Silva, support-emea, Europe/Lisbon\)$`,
		`^#2 `+ts+` member_upserted bo \(Bo Berg, support-emea, Europe/Lisbon, manager ana\)$`,
		`^#3 `+ts+` member_upserted cy \(Cy Chen, support-apac, Asia/Singapore\)$`,
		`^#4 `+ts+` policy_set 5/day values=ownership,kindness$`,
		`^#5 `+ts+q(` kudos_given ana → bo, cy (+1 each, ownership): "Thanks for taking the late escalation call on Friday when…" [id `+id+`]`)+`$`,
		`^#6 `+ts+q(` reaction_added bo 🎉 on `+id)+`$`,
		`^#7 `+ts+q(` kudos_retracted `+id+` by ana: wrong team`)+`$`,
		`^#8 `+ts+` rating_received cxone c-981 bo 5/stars_5$`,
		`^#9 `+ts+` allowance_boosted \+3 team support-emea 2026-11-23\.\.2026-11-27$`,
		`^#10 `+ts+` member_left cy: moved on$`,
	)
	// Live events follow.
	id2 := giveOK(t, s.cli(t, "give", "--from", "bo", "--to", "ana", "--message", thanks2))
	lines := tr.waitLines(t, `^#11 `+ts+q(` kudos_given bo → ana (+1): "`+thanks2+`" [id `+id2+`]`)+`$`)
	if code := tr.stop(t); code != exitOK {
		t.Errorf("tail exited %d when interrupted, want 0; stderr %q", code, tr.stderr.String())
	}
	if len(lines) != 11 {
		t.Errorf("tail printed %d lines, want 11:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if e := tr.stderr.String(); e != "" {
		t.Errorf("tail wrote to stderr: %s", e)
	}

	// A private kudos shows to the people in it, here on ana's member key.
	key := strings.TrimSpace(s.cli(t, "key", "create", "--role", "member", "--member", "ana").ok(t).stdout)
	id3 := giveOK(t, s.cli(t, "give", "--from", "bo", "--to", "ana", "--message", thanks, "--private"))
	tr = startTail(t, "--url", s.URL, "--key", key, "tail", "--from-start", "--type", "kudos_given")
	tr.waitLines(t, `^#\d+ `+ts+q(` kudos_given bo → ana (+1, private): "`+thanks+`" [id `+id3+`]`)+`$`)
}

func TestTailFiltersAndJSON(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	seedMembers(t, s)
	giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo", "--message", thanks))
	s.cli(t, "rate", "--platform", "cxone", "--interaction", "c-1", "--agent", "bo", "--score", "4", "--at", "2026-11-23T09:30:00Z").ok(t)
	giveOK(t, s.cli(t, "give", "--from", "bo", "--to", "ana", "--message", thanks2))

	// --type keeps kudos; --after skips the first three events (members).
	tr := startTail(t, "--url", s.URL, "--key", adminKey, "tail", "--type", "kudos_given", "--after", "3", "--json")
	lines := tr.waitLines(t, `"type":"`+regexp.QuoteMeta(event.TypeKudosGiven)+`"`, `"type":"`+regexp.QuoteMeta(event.TypeKudosGiven)+`"`)
	tr.stop(t)
	if len(lines) != 2 {
		t.Fatalf("tail --type kudos_given printed %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		env, err := event.Parse([]byte(l))
		if err != nil {
			t.Fatalf("--json line %q: %v", l, err)
		}
		d, err := env.Decode()
		if err != nil {
			t.Fatal(err)
		}
		// The User-Agent makes the server record the CLI's channel.
		if k := d.(event.KudosGiven); k.Channel != event.ChannelCLI {
			t.Errorf("kudos channel %q, want %q", k.Channel, event.ChannelCLI)
		}
	}

	// Only new events by default.
	tr = startTail(t, "--url", s.URL, "--key", adminKey, "tail", "--type", "rating_received")
	// The stream has no way to say it is attached; give it a moment.
	time.Sleep(300 * time.Millisecond)
	s.cli(t, "rate", "--platform", "cxone", "--interaction", "c-2", "--agent", "ana", "--score", "2", "--at", "2026-11-23T09:40:00Z").ok(t)
	lines = tr.waitLines(t, `^#\d+ `+ts+` rating_received cxone c-2 ana 2/stars_5$`)
	tr.stop(t)
	if len(lines) != 1 {
		t.Errorf("tail of new ratings printed:\n%s", strings.Join(lines, "\n"))
	}
}

func TestTailRefused(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	r := s.cliKey(t, "wrong-key", "tail")
	if r.code != exitError || !strings.HasPrefix(r.stderr, "error: Unauthenticated: ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	var raw json.RawMessage
	if r := s.cliKey(t, "wrong-key", "--json", "tail"); json.Unmarshal([]byte(r.stdout), &raw) != nil {
		t.Errorf("--json printed the problem as %q", r.stdout)
	}
}

// TestTailReconnect restarts the engine under a running tail: the tail
// reconnects on its own and resumes after the last event it printed.
func TestTailReconnect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startEngine(t, dir, "")
	seedMembers(t, s)
	// The tail talks to the proxy, which stays while the engine restarts.
	p := newFaultProxy(t, s.URL)

	tr := startTail(t, "--url", p.url, "--key", adminKey, "tail", "--from-start")
	tr.waitLines(t, `^#3 .* member_upserted cy `)
	s.StopWithin(500 * time.Millisecond)
	waitFor(t, 10*time.Second, func() string { return "a reconnect notice; stderr: " + tr.stderr.String() },
		func() bool { return strings.Contains(tr.stderr.String(), "reconnecting in") })

	s = startEngine(t, dir, "")
	p.setBackend(t, s.URL)
	id := giveOK(t, s.cli(t, "give", "--from", "ana", "--to", "bo", "--message", thanks))
	lines := tr.waitLines(t, `^#4 `+ts+regexp.QuoteMeta(` kudos_given ana → bo (+1): "`+thanks+`" [id `+id+`]`)+`$`)
	if code := tr.stop(t); code != exitOK {
		t.Errorf("tail exited %d", code)
	}
	if len(lines) != 4 {
		t.Errorf("after reconnecting the tail printed %d lines, want 4 (no repeats):\n%s", len(lines), strings.Join(lines, "\n"))
	}
	hs, paths := p.requests()
	if len(hs) < 2 {
		t.Fatalf("the tail connected %d times: %v", len(hs), paths)
	}
	if got := hs[0].Get("Last-Event-ID"); got != "" {
		t.Errorf("the first connection sent Last-Event-ID %q", got)
	}
	for i, h := range hs[1:] {
		if got := h.Get("Last-Event-ID"); got != "3" {
			t.Errorf("reconnection %d sent Last-Event-ID %q, want 3", i+1, got)
		}
	}
}
