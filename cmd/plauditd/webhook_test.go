package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plaudit/plaudit/internal/webhooktest"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// process is plauditd running as a process on a data dir.
type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	url  string
	done chan error
}

func startProcess(t *testing.T, bin, dataDir, addr string, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), logs: &bytes.Buffer{}, url: "http://" + addr, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), append([]string{"PLAUDIT_DATA_DIR=" + dataDir, "PLAUDIT_HTTP_ADDR=" + addr}, env...)...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	waitReady(t, p.url)
	return p
}

// kill stops the process with SIGKILL: no shutdown of any kind.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // for the cleanup
}

func (p *process) do(t *testing.T, method, path, key string, body any, want int) enginetest.Response {
	t.Helper()
	r, err := enginetest.Send(method, p.url+path, key, body, nil)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, p.logs)
	}
	return r.Want(t, want)
}

// written is the ids of the events an operation's answer lists, in the
// order they were appended.
func written(r enginetest.Response) []string {
	var out []string
	events, _ := r.JSON["events"].([]any)
	for _, e := range events {
		out = append(out, e.(map[string]any)["id"].(string))
	}
	return out
}

// TestWebhooksThroughACrash: plauditd as a process delivers a workload of
// 10,100 events to two subscriptions, each receiver verifying signatures
// with the Standard Webhooks reference library. Killed with SIGKILL in
// the middle of the deliveries and started again, it loses nothing: each
// receiver gets every event it subscribed to, in stream order, once, but
// for the last ones before the kill, which may come again after it, with
// the same webhook-id.
func TestWebhooksThroughACrash(t *testing.T) {
	t.Parallel()
	bin := buildPlauditd(t)
	dataDir, addr := t.TempDir(), testenv.FreeAddr(t)
	env := "PLAUDIT_WEBHOOK_ALLOW_HTTP=127.0.0.1"
	p := startProcess(t, bin, dataDir, addr, env)
	key, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(key))

	every, kudos := webhooktest.New(t, nil), webhooktest.New(t, nil)
	for _, s := range []struct {
		rc    *webhooktest.Receiver
		types []string
	}{{every, nil}, {kudos, []string{event.TypeKudosGiven}}} {
		r := p.do(t, "POST", "/v1/webhooks", admin, map[string]any{"url": s.rc.URL, "types": s.types}, http.StatusCreated)
		s.rc.Trust(t, r.Str("secret"))
	}

	var all, given []string
	importMembers := func(batch int) {
		var members []map[string]any
		for i := range 500 {
			members = append(members, map[string]any{"id": fmt.Sprintf("m-%05d", batch*500+i), "name": fmt.Sprintf("Member %d", batch*500+i),
				"team": fmt.Sprintf("team-%d", i%20), "time_zone": "Europe/Lisbon"})
		}
		all = append(all, written(p.do(t, "PUT", "/v1/members", admin, map[string]any{"members": members}, http.StatusCreated))...)
	}
	for batch := range 10 {
		importMembers(batch)
	}
	if !every.Wait(1000, time.Minute) {
		t.Fatalf("deliveries did not start: %d taken\n%s", len(every.Taken()), p.logs)
	}
	p.kill(t)
	taken := len(every.Taken())
	if taken >= len(all) {
		t.Fatalf("all %d deliveries were done before the kill; the test proves nothing", taken)
	}

	p = startProcess(t, bin, dataDir, addr, env)
	for batch := 10; batch < 20; batch++ {
		importMembers(batch)
	}
	for i := range 100 {
		r := p.do(t, "POST", "/v1/kudos", admin, map[string]any{
			"from": fmt.Sprintf("m-%05d", i), "to": []string{fmt.Sprintf("m-%05d", i+1)},
			"message": "Thanks for walking the new starters through the refund runbook", "points": 1,
		}, http.StatusCreated)
		all, given = append(all, r.Str("id")), append(given, r.Str("id"))
	}
	if len(all) != 10100 {
		t.Fatalf("the workload is %d events, want 10,100", len(all))
	}

	for _, s := range []struct {
		name string
		rc   *webhooktest.Receiver
		want []string
	}{{"every type", every, all}, {"kudos only", kudos, given}} {
		if !s.rc.Wait(len(s.want), 3*time.Minute) {
			t.Fatalf("%s: %d of %d delivered (%d did not verify)\n%s", s.name, len(s.rc.Taken()), len(s.want), s.rc.Bad(), p.logs)
		}
		got := s.rc.IDs()
		var once []string
		seen := map[string]bool{}
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				once = append(once, id)
			}
		}
		if !slices.Equal(once, s.want) {
			t.Errorf("%s: %d distinct deliveries, want the %d events in stream order", s.name, len(once), len(s.want))
		}
		// A redelivery across the crash: the server keeps a consumer's
		// acknowledgements on disk a moment after it confirmed them, so
		// the last deliveries before a SIGKILL may come again.
		first := map[string]int{}
		for i, id := range got {
			if j, ok := first[id]; !ok {
				first[id] = i
			} else if j >= taken || i < taken {
				t.Errorf("%s: %s delivered at %d and again at %d; only a delivery before the kill (%d) may come again after it", s.name, id, j, i, taken)
			}
		}
		if s.rc.Bad() != 0 {
			t.Errorf("%s: %d deliveries did not verify", s.name, s.rc.Bad())
		}
	}
}
