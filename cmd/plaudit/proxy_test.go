package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy stands between the CLI and a real engine and injects the
// failures a network and a restarting server cause. It records the headers
// of every request.
type faultProxy struct {
	url string

	mu      sync.Mutex
	backend *url.URL
	faults  []string // per request in order: drop, lost, 503; "" or none passes
	seen    []http.Header
	paths   []string
}

// Faults.
const (
	faultDrop = "drop" // close the connection before the engine sees the request
	faultLost = "lost" // let the engine carry the request out, then close the connection
	fault503  = "503"  // answer Service unavailable
)

func newFaultProxy(t *testing.T, backend string) *faultProxy {
	t.Helper()
	p := &faultProxy{}
	p.setBackend(t, backend)
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *faultProxy) setBackend(t *testing.T, backend string) {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.backend = u
	p.mu.Unlock()
}

func (p *faultProxy) inject(faults ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults, p.seen, p.paths = faults, nil, nil
}

// requests returns the headers and paths of the requests seen since inject.
func (p *faultProxy) requests() ([]http.Header, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.seen...), append([]string(nil), p.paths...)
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Header.Clone())
	p.paths = append(p.paths, r.Method+" "+r.URL.Path)
	fault := ""
	if len(p.faults) > 0 {
		fault, p.faults = p.faults[0], p.faults[1:]
	}
	backend := p.backend
	p.mu.Unlock()

	switch fault {
	case faultLost:
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = backend.Scheme, backend.Host
		if resp, err := http.DefaultTransport.RoundTrip(out); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fallthrough
	case faultDrop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	case fault503:
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"type":"https://plaudit.dev/problems/unavailable","title":"Service unavailable","status":503,"detail":"the event store did not answer; retry with the same Idempotency-Key"}`)
	default:
		httputil.NewSingleHostReverseProxy(backend).ServeHTTP(w, r)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestWriteRetries(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "", "")
	seedMembers(t, s)
	p := newFaultProxy(t, s.URL)
	give := func(t *testing.T) result {
		t.Helper()
		return runCLI(t, "--url", p.url, "--key", adminKey, "give", "--from", "ana", "--to", "bo", "--message", thanks)
	}

	t.Run("connection error then 503", func(t *testing.T) {
		p.inject(faultDrop, fault503)
		giveOK(t, give(t))
		hs, paths := p.requests()
		if len(hs) != 3 {
			t.Fatalf("%d attempts %v, want 3", len(hs), paths)
		}
		key := hs[0].Get("Idempotency-Key")
		if !uuidPattern.MatchString(key) {
			t.Errorf("Idempotency-Key %q is not a random UUID", key)
		}
		for i, h := range hs {
			if paths[i] != "POST /v1/kudos" || h.Get("Idempotency-Key") != key {
				t.Errorf("attempt %d: %s with Idempotency-Key %q, want POST /v1/kudos with %q", i+1, paths[i], h.Get("Idempotency-Key"), key)
			}
			if h.Get("User-Agent") != "plaudit-cli/"+version || h.Get("Authorization") != "Bearer "+adminKey {
				t.Errorf("attempt %d: User-Agent %q, Authorization %q", i+1, h.Get("User-Agent"), h.Get("Authorization"))
			}
		}
	})
	t.Run("answer lost", func(t *testing.T) {
		p.inject(faultLost)
		r := give(t)
		m := kudosGiven.FindStringSubmatch(r.ok(t).stdout)
		if m == nil {
			t.Fatalf("give printed %q", r.stdout)
		}
		if hs, paths := p.requests(); len(hs) != 2 || hs[0].Get("Idempotency-Key") != hs[1].Get("Idempotency-Key") {
			t.Errorf("attempts %v, want 2 with the same Idempotency-Key", paths)
		}
		// The retry got the first attempt's answer: the next event is the
		// next sequence, so nothing was appended twice.
		next := kudosGiven.FindStringSubmatch(s.cli(t, "give", "--from", "bo", "--to", "ana", "--message", thanks).ok(t).stdout)
		seq, _ := strconv.Atoi(m[2])
		if next == nil || next[2] != strconv.Itoa(seq+1) {
			t.Errorf("the lost answer's kudos has seq %s and the next one %s: a retry appended again", m[2], next[2])
		}
	})
	t.Run("gives up", func(t *testing.T) {
		p.inject(fault503, fault503, fault503, fault503, fault503)
		start := time.Now()
		r := give(t)
		if r.code != exitError || !strings.HasPrefix(r.stderr, "error: Service unavailable: ") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		hs, _ := p.requests()
		if len(hs) != 1+writeRetries {
			t.Fatalf("%d attempts, want %d", len(hs), 1+writeRetries)
		}
		if hint := "repeat it with --idempotency-key " + hs[0].Get("Idempotency-Key") + " to be sure"; !strings.Contains(r.stderr, hint) {
			t.Errorf("stderr %q lacks %q", r.stderr, hint)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("retrying took %s", d)
		}
	})
	t.Run("explicit idempotency key", func(t *testing.T) {
		p.inject(faultDrop)
		runCLI(t, "--url", p.url, "--key", adminKey, "--idempotency-key", "my-key-1", "policy", "set", "--allowance", "7").ok(t)
		hs, _ := p.requests()
		for i, h := range hs {
			if got := h.Get("Idempotency-Key"); got != "my-key-1" {
				t.Errorf("attempt %d: Idempotency-Key %q, want my-key-1", i+1, got)
			}
		}
	})
}
