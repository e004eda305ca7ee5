package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
)

// testBootstrapKey is the admin key of tenant "default" in every test engine.
const testBootstrapKey = "test-bootstrap-admin-key-0123456789"

// specific is a kudos message the default message rules accept.
const specific = "Thanks for taking the escalated refund call at six and calming the customer down"

// clock is an injectable Config.Now, shared with the engine's tests.
type clock = enginetest.Clock

func newClock(t time.Time) *clock { return enginetest.NewClock(t) }

// startEngine starts a real engine on cfg (enginetest.Start, with this
// package's bootstrap key). When the test ends it checks every event of the
// stream, unless stopEngine did, and then stops the engine.
func startEngine(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	if cfg.BootstrapKey == "" {
		cfg.BootstrapKey = testBootstrapKey
	}
	te := enginetest.Start(t, cfg)
	e := te.Engine
	stops.Store(e, te)
	// Cleanups run last in, first out: this one before the engine stops.
	t.Cleanup(func() {
		if _, running := stops.LoadAndDelete(e); running {
			checkStream(t, e)
		}
	})
	return e
}

// stops holds the engines startEngine started and stopEngine has not
// stopped, so that a test can stop one early (to restart on its data).
var stops sync.Map // *engine.Engine -> *enginetest.Engine

// stopEngine checks the stream and stops an engine that startEngine started.
func stopEngine(t *testing.T, e *engine.Engine) {
	t.Helper()
	checkStream(t, e)
	te, ok := stops.LoadAndDelete(e)
	if !ok {
		t.Fatal("engine not started by startEngine")
	}
	te.(*enginetest.Engine).Stop()
}

// streamLen is the number of messages in the event stream.
func streamLen(t *testing.T, e *engine.Engine) uint64 {
	t.Helper()
	return enginetest.StreamState(t, e).Msgs
}

// streamMessages reads every message of the event stream.
func streamMessages(t *testing.T, e *engine.Engine) []jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := streamLen(t, e)
	var out []jetstream.RawStreamMsg
	for seq := uint64(1); uint64(len(out)) < n; seq++ {
		m, err := e.Store.Stream().GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get message %d of %d: %v", seq, n, err)
		}
		out = append(out, *m)
	}
	return out
}

// checkStream checks every event of the stream: a valid envelope whose
// data decodes strictly into its registered type, stored under the subject
// its data implies, with its id as Nats-Msg-Id, and valid against its JSON
// Schema (pkg/event/eventtest).
func checkStream(t *testing.T, e *engine.Engine) {
	t.Helper()
	for _, m := range streamMessages(t, e) {
		env, err := event.Parse(m.Data)
		if err != nil {
			t.Errorf("event %d: %v", m.Sequence, err)
			continue
		}
		subject, err := env.StreamSubject()
		if err != nil {
			t.Errorf("event %d (%s): %v", m.Sequence, env.Type, err)
			continue
		}
		if subject != m.Subject {
			t.Errorf("event %d (%s): stored under %s, its data implies %s", m.Sequence, env.Type, m.Subject, subject)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != env.ID {
			t.Errorf("event %d: Nats-Msg-Id %q, id %q", m.Sequence, got, env.ID)
		}
		eventtest.Validate(t, m.Data)
	}
}

// response is an HTTP answer, as the engine's tests read it.
type response = enginetest.Response

// do sends one request to the engine (enginetest.Send).
func do(t *testing.T, e *engine.Engine, method, path, key string, body any, headers map[string]string) response {
	t.Helper()
	return send(t, t.Fatal, e, method, path, key, body, headers)
}

// doAsync is do for goroutines other than the test's: it reports a failed
// request with t.Error and returns a zero response.
func doAsync(t *testing.T, e *engine.Engine, method, path, key string, body any, headers map[string]string) response {
	t.Helper()
	return send(t, t.Error, e, method, path, key, body, headers)
}

// send is do and doAsync, which fail t with fail.
func send(t *testing.T, fail func(...any), e *engine.Engine, method, path, key string, body any, headers map[string]string) response {
	t.Helper()
	r, err := enginetest.Send(method, "http://"+e.HTTPAddr()+path, key, body, headers)
	if err != nil {
		fail(err)
	}
	return r
}

// must wants status from a request, and returns the response.
func must(t *testing.T, status int, r response) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want %d, got %s", status, r)
	}
	return r
}

// wantProblem checks that r is an RFC 9457 problem with status naming field.
func wantProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if got := r.Str("field"); got != field {
		t.Errorf("field %q, want %q: %s", got, field, r.Body)
	}
	if typ := r.Str("type"); !strings.HasPrefix(typ, apiv1.ProblemBase) {
		t.Errorf("type %q does not start with %s", typ, apiv1.ProblemBase)
	}
	if s, _ := r.JSON["status"].(float64); int(s) != r.Status {
		t.Errorf("problem status %v, HTTP status %d", r.JSON["status"], r.Status)
	}
	if r.Str("title") == "" || r.Str("detail") == "" {
		t.Errorf("problem without title or detail: %s", r.Body)
	}
}

// fixture is an engine with a seeded tenant "default" and a second tenant
// "other".
type fixture struct {
	e     *engine.Engine
	clock *clock // nil: the real clock
	admin string // admin of tenant default
	keys  map[string]string
	other string // admin of tenant other
	left  string // a member who left
}

// now is the engine's clock.
func (f *fixture) now() time.Time {
	if f.clock == nil {
		return time.Now()
	}
	return f.clock.Now()
}

func (f *fixture) do(t *testing.T, method, path, key string, body any, headers map[string]string) response {
	t.Helper()
	return do(t, f.e, method, path, key, body, headers)
}

// newFixture starts an engine (clock may be nil) and seeds it through the
// API: members ana, bo, cy (support-emea, Europe/Lisbon) and dee (sales,
// America/New_York), eli who left, a policy of 5 points a day with values
// ownership and kindness, and keys: member keys "ana", "bo", "cy" and keys
// "analyst", "publisher", "integration". In tenant "other": an admin key
// minted through the auth package, and member zed.
func newFixture(t *testing.T, c *clock, cfg engine.Config) *fixture {
	t.Helper()
	if c != nil {
		cfg.Now = c.Now
	}
	f := &fixture{e: startEngine(t, cfg), clock: c, admin: testBootstrapKey, keys: map[string]string{}, left: "eli"}
	f.seed(t)
	return f
}

func (f *fixture) seed(t *testing.T) {
	t.Helper()
	for _, m := range []struct{ id, team, tz string }{
		{"ana", "support-emea", "Europe/Lisbon"},
		{"bo", "support-emea", "Europe/Lisbon"},
		{"cy", "support-emea", "Europe/Lisbon"},
		{"dee", "sales", "America/New_York"},
		{f.left, "sales", "America/New_York"},
	} {
		must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/"+m.id, f.admin,
			map[string]any{"name": strings.ToUpper(m.id[:1]) + m.id[1:], "team": m.team, "time_zone": m.tz}, nil))
	}
	must(t, http.StatusCreated, f.do(t, "DELETE", "/v1/members/"+f.left, f.admin, map[string]any{"reason": "moved on"}, nil))
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/policy", f.admin,
		`{"allowance":{"amount":5,"period":"day"},"values":["ownership","kindness"]}`, nil))
	for name, body := range map[string]map[string]any{
		"ana":         {"role": "member", "member": "ana"},
		"bo":          {"role": "member", "member": "bo"},
		"cy":          {"role": "member", "member": "cy"},
		"analyst":     {"role": "analyst"},
		"publisher":   {"role": "publisher"},
		"integration": {"role": "integration"},
	} {
		r := must(t, http.StatusCreated, f.do(t, "POST", "/v1/keys", f.admin, body, nil))
		if r.Str("key") == "" || r.Str("tenant") != auth.BootstrapTenant {
			t.Fatalf("key %s: %s", name, r.Body)
		}
		f.keys[name] = r.Str("key")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(f.e.Conn())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.Open(ctx, js, 1)
	if err != nil {
		t.Fatalf("open keys: %v", err)
	}
	f.other, _, err = keys.Create(ctx, auth.Principal{Tenant: "other", Role: auth.Admin}, "")
	if err != nil {
		t.Fatalf("create key of tenant other: %v", err)
	}
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/zed", f.other,
		map[string]any{"name": "Zed", "team": "ops", "time_zone": "Asia/Tokyo"}, nil))
}

// give gives kudos with key and wants want; body fields override a valid
// one-point kudos from the key's member to bo.
func (f *fixture) give(t *testing.T, key string, want int, fields map[string]any, headers map[string]string) response {
	t.Helper()
	body := map[string]any{"to": []string{"bo"}, "message": specific, "values": []string{"ownership"}, "points": 1}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	return must(t, want, f.do(t, "POST", "/v1/kudos", key, body, headers))
}

// rating returns a valid rating body of agent for interaction id.
func (f *fixture) rating(agent, interaction string) map[string]any {
	return map[string]any{
		"platform": "cxone", "interaction_id": interaction, "agent": agent, "score": 5, "scale": "stars_5",
		"comment": "Solved my billing problem in one call", "channel": "voice", "handle_time_seconds": 312,
		"occurred_at": f.now().Add(-time.Hour).UTC().Format(time.RFC3339),
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Seq  uint64
	Type string
	Env  event.Envelope
	Data event.Data
}

// readSSE follows GET /v1/stream?query with key until stop accepts an
// event, and returns the events up to and including that one. It fails
// the test after 10 s instead of hanging.
func readSSE(t *testing.T, e *engine.Engine, key, query string, headers map[string]string, stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	return readSSEOpened(t, e, key, query, headers, nil, stop)
}

// readSSEOpened is readSSE calling opened (when not nil) once the server
// has sent its opening comment, that is, once it follows the stream.
func readSSEOpened(t *testing.T, e *engine.Engine, key, query string, headers map[string]string, opened func(), stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+e.HTTPAddr()+"/v1/stream?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /v1/stream?%s: %d %s", query, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	type item struct {
		ev     sseEvent
		err    error
		opened bool // the server's opening comment
	}
	ch := make(chan item)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var cur sseEvent
		var data []byte
		open := false
		send := func(it item) bool {
			select {
			case ch <- it:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data == nil {
					continue // a comment block
				}
				env, err := event.Parse(data)
				if err == nil {
					cur.Env = env
					cur.Data, err = env.Decode()
				}
				if err == nil && env.Type != cur.Type {
					err = fmt.Errorf("event field %q, envelope type %q", cur.Type, env.Type)
				}
				if !send(item{ev: cur, err: err}) {
					return
				}
				cur, data = sseEvent{}, nil
			case strings.HasPrefix(line, ":"):
				if !open {
					open = true
					if !send(item{opened: true}) {
						return
					}
				}
			case strings.HasPrefix(line, "id: "):
				cur.Seq, _ = strconv.ParseUint(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				cur.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:]...)
			default:
				send(item{err: fmt.Errorf("unexpected line %q", line)})
				return
			}
		}
	}()
	var out []sseEvent
	for {
		select {
		case it := <-ch:
			if it.opened {
				if opened != nil {
					opened()
				}
				continue
			}
			if it.err != nil {
				cancel()
				<-done
				t.Fatalf("stream: %v", it.err)
			}
			out = append(out, it.ev)
			if stop(it.ev) {
				cancel()
				<-done
				return out
			}
		case <-done:
			t.Fatalf("stream ended after %d events", len(out))
		case <-ctx.Done():
			<-done
			t.Fatalf("stream: no stopping event within 10s; got %d events", len(out))
		}
	}
}

// untilID stops readSSE at the event with id.
func untilID(id string) func(sseEvent) bool {
	return func(ev sseEvent) bool { return ev.Env.ID == id }
}
