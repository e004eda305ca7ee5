package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/plaudit/plaudit/pkg/auth"
)

// Limits are the rates the gateway allows; zero fields take
// DefaultLimits'. Past a limit a request is answered 429 with Retry-After
// and changes nothing.
type Limits struct {
	// PerKey: requests per second of one API key, with bursts of KeyBurst.
	PerKey   rate.Limit
	KeyBurst int
	// PerClient: HTTP requests per second from one client address,
	// authenticated or not.
	PerClient   rate.Limit
	ClientBurst int
	// Failures: failed authentications per second one client address may
	// make; past them every request from it is refused until it slows
	// down, so guessing keys is slow.
	Failures     rate.Limit
	FailureBurst int
	// StreamsPerKey bounds the GET /v1/stream connections one key holds
	// open at once.
	StreamsPerKey int
}

// DefaultLimits are generous for people and integrations, and stop a
// flood: 50 requests a second per key (bursts of 100), 200 per address,
// 20 wrong keys in a row then 1 a second, 5 live streams per key.
var DefaultLimits = Limits{PerKey: 50, KeyBurst: 100, PerClient: 200, ClientBurst: 400, Failures: 1, FailureBurst: 20, StreamsPerKey: 5}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.PerKey <= 0 || l.KeyBurst <= 0 {
		l.PerKey, l.KeyBurst = d.PerKey, d.KeyBurst
	}
	if l.PerClient <= 0 || l.ClientBurst <= 0 {
		l.PerClient, l.ClientBurst = d.PerClient, d.ClientBurst
	}
	if l.Failures <= 0 || l.FailureBurst <= 0 {
		l.Failures, l.FailureBurst = d.Failures, d.FailureBurst
	}
	if l.StreamsPerKey <= 0 {
		l.StreamsPerKey = d.StreamsPerKey
	}
	return l
}

// SetLimits sets the gateway's rate limits; call it before serving.
func (g *Gateway) SetLimits(l Limits) {
	l = l.orDefault()
	g.limits = l
	g.perKey = newBuckets(l.PerKey, l.KeyBurst)
	g.perClient = newBuckets(l.PerClient, l.ClientBurst)
	g.failures = newBuckets(l.Failures, l.FailureBurst)
	g.streams = &streamCount{n: map[string]int{}}
}

// buckets are token buckets by name (a key id, a client address). Idle
// buckets are full again, so they are dropped when the map grows large.
type buckets struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

const maxBuckets = 100_000

func newBuckets(r rate.Limit, burst int) *buckets {
	return &buckets{r: r, burst: burst, m: map[string]*rate.Limiter{}}
}

func (b *buckets) get(name string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.m[name]
	if !ok {
		if len(b.m) >= maxBuckets {
			for k, v := range b.m {
				if v.Tokens() >= float64(b.burst) {
					delete(b.m, k)
				}
			}
		}
		l = rate.NewLimiter(b.r, b.burst)
		b.m[name] = l
	}
	return l
}

// take takes a token for name, or says how long until one is there.
func (b *buckets) take(name string) (time.Duration, bool) { return b.takeN(name, 1) }

// takeN takes n tokens for name at once, or says how long until they are
// there; n is at most the burst.
func (b *buckets) takeN(name string, n int) (time.Duration, bool) {
	l := b.get(name)
	now := time.Now()
	r := l.ReserveN(now, n)
	if !r.OK() {
		return time.Duration(float64(n) / float64(b.r) * float64(time.Second)), false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// empty reports whether name's bucket has no token, and when it will.
func (b *buckets) empty(name string) (time.Duration, bool) {
	l := b.get(name)
	if l.Tokens() >= 1 {
		return 0, false
	}
	return time.Duration(math.Ceil((1 - l.Tokens()) / float64(b.r) * float64(time.Second))), true
}

// rateLimited is a refusal for going too fast.
type rateLimited struct {
	retryAfter time.Duration
	field      string
	detail     string
}

func (e *rateLimited) Error() string { return e.detail }

// limited refuses a request past limit (limitPerKey, …), and counts it.
func (g *Gateway) limited(limit string, retryAfter time.Duration, field, detail string) error {
	g.metrics.limited.WithLabelValues(limit).Inc()
	return &rateLimited{retryAfter: retryAfter, field: field, detail: detail}
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

type clientKey struct{}

// clientOf is the client address an HTTP request came from, "" for a
// NATS request.
func clientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// limitClients refuses HTTP requests past the per-address rate before
// anything else is done for them, and tells the handlers the address.
func (g *Gateway) limitClients(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			client = r.RemoteAddr
		}
		if d, ok := g.perClient.take(client); !ok {
			writeProblem(w, toProblem(g.limited(limitPerClient, d, "", "too many requests from "+client+"; slow down")))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, client)))
	})
}

// authenticate resolves a bearer key, within the limits: a client address
// that has failed too often is refused before its key is looked at, a
// failure costs its address a token, and a key past its rate is refused.
// A key bound to a member who has left, or is inactive, no longer works.
func (g *Gateway) authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	client := clientOf(ctx)
	if client != "" {
		if d, empty := g.failures.empty(client); empty {
			return auth.Principal{}, g.limited(limitFailedAuth, d, "Authorization",
				fmt.Sprintf("too many failed authentications from %s; retry in %d s", client, retryAfterSeconds(d)))
		}
	}
	p, err := g.keys.Authenticate(ctx, secret)
	if err == nil && p.Member != "" {
		if m, ok := g.cmd.Directory().Member(p.Tenant, p.Member); !ok || !m.Active {
			err = auth.ErrUnauthenticated
		}
	}
	if err != nil {
		// A key that was sent and is not one of ours is a guess; no key
		// at all is not.
		if client != "" && secret != "" && errors.Is(err, auth.ErrUnauthenticated) {
			g.failures.take(client)
		}
		return auth.Principal{}, err
	}
	observed(ctx, string(p.Role), p.Tenant)
	if d, ok := g.perKey.take(p.KeyID); !ok {
		return auth.Principal{}, g.limited(limitPerKey, d, "Authorization",
			fmt.Sprintf("key %s is over its rate of %v requests a second; retry in %d s", p.KeyID, float64(g.limits.PerKey), retryAfterSeconds(d)))
	}
	return p, nil
}

// streamCount counts the live streams each key holds open.
type streamCount struct {
	mu sync.Mutex
	n  map[string]int
}

// open takes a stream slot of key, if it has one left; the function it
// returns frees it.
func (s *streamCount) open(key string, limit int) (func(), bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= limit {
		return nil, false
	}
	s.n[key]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.n[key]--; s.n[key] <= 0 {
			delete(s.n, key)
		}
	}, true
}

func setRetryAfter(h http.Header, seconds int) {
	if seconds > 0 {
		h.Set("Retry-After", strconv.Itoa(seconds))
	}
}
