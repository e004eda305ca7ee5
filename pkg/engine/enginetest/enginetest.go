// Package enginetest starts real Plaudit engines for the tests of other
// packages (the projections, the CLI) and talks to them as clients do: over
// HTTP with API keys. It is for tests only; nothing in production imports
// it. It knows no projection: tests pass the modules they need.
package enginetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the engines' members' time zones resolve on hosts without zoneinfo, as in plauditd

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// BootstrapKey is the admin key of tenant "default" of every test engine.
const BootstrapKey = "enginetest-bootstrap-admin-key-0123456789"

// Clock is an injectable engine clock, safe for concurrent use; pass its
// Now as engine.Config.Now.
type Clock = testenv.Clock

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return testenv.NewClock(t) }

// Engine is a running test engine.
type Engine struct {
	*engine.Engine
	// URL is the HTTP API's base URL, "http://127.0.0.1:<port>".
	URL  string
	keys *auth.Keys
	stop func(grace time.Duration)
}

var client = &http.Client{Timeout: 30 * time.Second}

// Start starts an engine on cfg, with defaults for what cfg leaves empty: a
// temporary data dir, a free loopback port, BootstrapKey, no logs. The
// engine stops when the test ends, unless Stop stopped it before.
func Start(tb testing.TB, cfg engine.Config) *Engine {
	tb.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.BootstrapKey == "" {
		cfg.BootstrapKey = BootstrapKey
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	startCtx, startCancel := context.WithTimeout(ctx, 30*time.Second)
	defer startCancel()
	e, err := engine.Start(startCtx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("start engine: %v", err)
	}
	var once sync.Once
	te := &Engine{Engine: e, URL: "http://" + e.HTTPAddr()}
	te.stop = func(grace time.Duration) {
		once.Do(func() {
			client.CloseIdleConnections()
			cancel()
			if err := e.Wait(ctx, grace); err != nil {
				tb.Errorf("engine: %v", err)
			}
		})
	}
	tb.Cleanup(te.Stop)
	if cfg.Only == "" {
		js, err := jetstream.New(e.Conn())
		if err != nil {
			tb.Fatal(err)
		}
		if te.keys, err = auth.Open(startCtx, js, 1); err != nil {
			tb.Fatalf("open keys: %v", err)
		}
	}
	return te
}

// Stop stops the engine before the end of the test, giving the requests
// in flight five seconds to finish.
func (e *Engine) Stop() { e.StopWithin(5 * time.Second) }

// StopWithin is Stop giving the requests in flight grace to finish: a
// short grace cuts long-lived ones, such as a tail's stream, off.
func (e *Engine) StopWithin(grace time.Duration) { e.stop(grace) }

// Key mints an API key of tenant with role, bound to member when not empty.
func (e *Engine) Key(tb testing.TB, tenant string, role auth.Role, member string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	secret, _, err := e.keys.Create(ctx, auth.Principal{Tenant: tenant, Role: role, Member: member}, "")
	if err != nil {
		tb.Fatalf("create %s key of tenant %s: %v", role, tenant, err)
	}
	return secret
}

// Response is an HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // the body decoded, when it is a JSON object
}

func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Str returns a top-level string field of the JSON body.
func (r Response) Str(name string) string {
	s, _ := r.JSON[name].(string)
	return s
}

// Seq returns the JSON body's "seq": the stream sequence of a write.
func (r Response) Seq() uint64 {
	f, _ := r.JSON["seq"].(float64)
	return uint64(f)
}

// Want fails the test unless the answer has status.
func (r Response) Want(tb testing.TB, status int) Response {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("want %d, got %s", status, r)
	}
	return r
}

// Decode decodes the body into v.
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r, err)
	}
}

// WantProblem checks that r is an RFC 9457 problem with status naming
// field.
func (r Response) WantProblem(tb testing.TB, status int, field string) {
	tb.Helper()
	if r.Status != status {
		tb.Errorf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("Content-Type %q, want application/problem+json: %s", ct, r.Body)
	}
	if got := r.Str("field"); got != field {
		tb.Errorf("field %q, want %q: %s", got, field, r.Body)
	}
	if r.Str("detail") == "" {
		tb.Errorf("problem without detail: %s", r.Body)
	}
}

// Do sends one request with key (none when empty). body is sent as is when
// it is a string or []byte, JSON-encoded otherwise, and not at all when nil.
func (e *Engine) Do(tb testing.TB, method, path, key string, body any) Response {
	tb.Helper()
	return e.DoWith(tb, method, path, key, body, nil)
}

// DoWith is Do with extra request headers.
func (e *Engine) DoWith(tb testing.TB, method, path, key string, body any, headers map[string]string) Response {
	tb.Helper()
	r, err := Send(method, e.URL+path, key, body, headers)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// Send sends one request to url with key (none when empty) and returns the
// answer, or why there is none: Do for goroutines other than the test's,
// and for engines started otherwise. body is sent as is when it is a
// string or []byte, JSON-encoded otherwise, and not at all when nil.
func Send(method, url, key string, body any, headers map[string]string) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Response{}, fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return Response{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read: %w", method, url, err)
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	_ = json.Unmarshal(b, &r.JSON)
	return r, nil
}

// Metrics scrapes GET /metrics into "name{labels}" -> value, each series
// as the text format writes it: labels in the order of their names, as in
// `plaudit_api_rate_limited_total{limit="per_key"}`.
func (e *Engine) Metrics(tb testing.TB) map[string]float64 {
	tb.Helper()
	r := e.Do(tb, "GET", "/metrics", "", nil).Want(tb, http.StatusOK)
	out := map[string]float64{}
	for _, line := range strings.Split(string(r.Body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// Member is a member to seed.
type Member struct {
	ID, Team, TimeZone, Manager string
}

// Seed adds members through the API with an admin key of their tenant and
// returns the stream sequence of the last write.
func (e *Engine) Seed(tb testing.TB, admin string, members ...Member) uint64 {
	tb.Helper()
	var seq uint64
	for _, m := range members {
		body := map[string]any{"name": strings.ToUpper(m.ID[:1]) + m.ID[1:], "team": m.Team, "time_zone": m.TimeZone}
		if m.Manager != "" {
			body["manager"] = m.Manager
		}
		seq = e.Do(tb, "PUT", "/v1/members/"+url.PathEscape(m.ID), admin, body).Want(tb, http.StatusCreated).Seq()
	}
	return seq
}

// StreamLastSeq is the event stream's last sequence.
func (e *Engine) StreamLastSeq(tb testing.TB) uint64 {
	tb.Helper()
	return StreamState(tb, e.Engine).LastSeq
}

// StreamState is the state of e's event stream now, for engines started
// here or otherwise.
func StreamState(tb testing.TB, e *engine.Engine) jetstream.StreamState {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := e.Store.Stream().Info(ctx)
	if err != nil {
		tb.Fatalf("stream info: %v", err)
	}
	return info.State
}

// CaughtUp waits until every projection running in the engine has applied
// the stream up to its last sequence now.
func (e *Engine) CaughtUp(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	seq := e.StreamLastSeq(tb)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for name, r := range e.Runners {
		if err := r.WaitFor(ctx, seq); err != nil {
			tb.Fatalf("projection %s at %d, stream at %d: %v", name, r.LastSeq(), seq, err)
		}
	}
}
