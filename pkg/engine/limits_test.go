package engine_test

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// want429 checks a rate-limit refusal: 429, a Retry-After of whole
// seconds, the field named.
func want429(t *testing.T, r enginetest.Response, field string) {
	t.Helper()
	r.WantProblem(t, http.StatusTooManyRequests, field)
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	t.Run("per key", func(t *testing.T) {
		t.Parallel()
		e := enginetest.Start(t, engine.Config{Limits: api.Limits{PerKey: 0.01, KeyBurst: 3}})
		key := e.Key(t, "acme", auth.Analyst, "")
		other := e.Key(t, "acme", auth.Analyst, "")
		for range 3 {
			e.Do(t, "GET", "/v1/feed", key, nil).Want(t, http.StatusServiceUnavailable) // no feed projection here
		}
		want429(t, e.Do(t, "GET", "/v1/feed", key, nil), "Authorization")
		want429(t, e.Do(t, "POST", "/v1/keys", key, map[string]any{"role": "analyst"}), "Authorization")
		// Another key is not held up by the first.
		e.Do(t, "GET", "/v1/feed", other, nil).Want(t, http.StatusServiceUnavailable)
		wantMetrics(t, e.Metrics(t), map[string]float64{
			`plaudit_api_rate_limited_total{limit="per_key"}`:    2,
			`plaudit_api_rate_limited_total{limit="per_client"}`: 0,
			// Refused by its key's rate, a request still has the key's role.
			`plaudit_api_requests_total{role="analyst",route="GET /v1/feed",status_class="4xx",transport="http"}`: 1,
			`plaudit_api_operations_refused_total{operation="keys.create",reason="rate_limited"}`:                 1,
		})
	})
	t.Run("failed authentications per address", func(t *testing.T) {
		t.Parallel()
		e := enginetest.Start(t, engine.Config{Limits: api.Limits{Failures: 0.01, FailureBurst: 3}})
		good := e.Key(t, "acme", auth.Admin, "")
		// No key at all is not a guess.
		for range 5 {
			e.Do(t, "GET", "/v1/keys", "", nil).WantProblem(t, http.StatusUnauthorized, "Authorization")
		}
		for i := range 3 {
			e.Do(t, "GET", "/v1/keys", "plk_guess-number-"+strconv.Itoa(i)+"-0123456789", nil).WantProblem(t, http.StatusUnauthorized, "Authorization")
		}
		want429(t, e.Do(t, "GET", "/v1/keys", "plk_guess-number-4-0123456789", nil), "Authorization")
		// From that address, even a good key waits: guessing stays slow.
		want429(t, e.Do(t, "GET", "/v1/keys", good, nil), "Authorization")
		wantMetrics(t, e.Metrics(t), map[string]float64{
			`plaudit_api_rate_limited_total{limit="failed_authentications"}`: 2,
			`plaudit_api_rate_limited_total{limit="per_key"}`:                0,
		})
	})
	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		e := enginetest.Start(t, engine.Config{Limits: api.Limits{PerClient: 0.01, ClientBurst: 4}})
		for range 4 {
			e.Do(t, "GET", "/healthz", "", nil).Want(t, http.StatusOK)
		}
		want429(t, e.Do(t, "GET", "/healthz", "", nil), "")
		// Refused before it is routed, a request counts under its route.
		wantMetrics(t, e.Metrics(t), map[string]float64{
			`plaudit_api_rate_limited_total{limit="per_client"}`:                                               1,
			`plaudit_api_requests_total{role="none",route="GET /healthz",status_class="4xx",transport="http"}`: 1,
			`plaudit_api_requests_total{role="none",route="GET /healthz",status_class="2xx",transport="http"}`: 4,
		})
	})
}

func TestStreamsPerKeyAndTheirConsumers(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, engine.Config{Limits: api.Limits{StreamsPerKey: 2}})
	key := e.Key(t, "acme", auth.Analyst, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	consumers := func() int {
		t.Helper()
		info, err := e.Store.Stream().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Consumers
	}
	before := consumers()
	// open opens a stream with key and waits for its greeting: the
	// stream's consumer is made.
	open := func(key string) func() {
		t.Helper()
		resp, closer := openStream(t, ctx, e, key)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v", resp)
		}
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		return closer
	}
	closers := []func(){open(key), open(key)}
	want429(t, e.Do(t, "GET", "/v1/stream", key, nil), "Authorization")
	// Another key has slots of its own.
	closers = append(closers, open(e.Key(t, "acme", auth.Analyst, "")))
	wantMetrics(t, e.Metrics(t), map[string]float64{
		"plaudit_api_live_streams":                                3,
		`plaudit_api_rate_limited_total{limit="streams_per_key"}`: 1,
		// Streams open are not requests in flight.
		`plaudit_api_requests_in_flight{transport="http"}`: 0,
	})
	for _, c := range closers {
		c()
	}
	// Closed streams leave no consumer behind, and free their slots.
	waitUntil(t, 10*time.Second, func() bool { return consumers() == before })
	waitUntil(t, 10*time.Second, func() bool { return e.Metrics(t)["plaudit_api_live_streams"] == 0 })
	waitUntil(t, 10*time.Second, func() bool {
		resp, closer := openStream(t, ctx, e, key)
		defer closer()
		return resp.StatusCode == http.StatusOK
	})
}

// openStream sends GET /v1/stream with key, and returns the answer and
// the function that closes it.
func openStream(t *testing.T, ctx context.Context, e *enginetest.Engine, key string) (*http.Response, func()) {
	t.Helper()
	sctx, stop := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sctx, "GET", e.URL+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		stop()
		t.Fatalf("stream: %v", err)
	}
	return resp, func() { stop(); resp.Body.Close() }
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	if !testenv.Within(d, cond) {
		t.Fatalf("not so after %v", d)
	}
}

func TestKeysListRevokeExpireAndFollowTheirMember(t *testing.T) {
	t.Parallel()
	primary := enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t)})
	replica := enginetest.Start(t, engine.Config{NATSURL: primary.NATSURL(), NATSKeysDir: primary.NATSKeysDir()})
	admin := primary.Key(t, "acme", auth.Admin, "")
	primary.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "UTC"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "UTC"})
	var created apiv1.CreatedKey
	primary.Do(t, "POST", "/v1/keys", admin, map[string]any{"role": "analyst"}).Want(t, http.StatusCreated).Decode(t, &created)
	replica.Do(t, "GET", "/v1/keys", created.Key, nil).WantProblem(t, http.StatusForbidden, "Authorization")

	var list apiv1.KeyList
	primary.Do(t, "GET", "/v1/keys", admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	found := false
	for _, k := range list.Keys {
		found = found || k.KeyID == created.ID
	}
	if !found || strings.Contains(primary.Do(t, "GET", "/v1/keys", admin, nil).String(), created.Key) {
		t.Fatalf("list %+v", list)
	}
	globex := primary.Key(t, "globex", auth.Admin, "")
	primary.Do(t, "DELETE", "/v1/keys/"+created.ID, globex, nil).WantProblem(t, http.StatusNotFound, "id")
	primary.Do(t, "DELETE", "/v1/keys/"+created.ID, admin, nil).Want(t, http.StatusOK)
	// Refused at once where it was revoked, and on the replica within seconds.
	primary.Do(t, "GET", "/v1/density", created.Key, nil).WantProblem(t, http.StatusUnauthorized, "Authorization")
	waitUntil(t, 10*time.Second, func() bool {
		return replica.Do(t, "GET", "/v1/density", created.Key, nil).Status == http.StatusUnauthorized
	})

	// Expiry.
	primary.Do(t, "POST", "/v1/keys", admin, map[string]any{"role": "analyst", "expires_at": "2020-01-01T00:00:00Z"}).WantProblem(t, http.StatusUnprocessableEntity, "expires_at")
	var short apiv1.CreatedKey
	primary.Do(t, "POST", "/v1/keys", admin, map[string]any{"role": "analyst",
		"expires_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)}).Want(t, http.StatusCreated).Decode(t, &short)
	waitUntil(t, 10*time.Second, func() bool {
		return primary.Do(t, "GET", "/v1/density", short.Key, nil).Status == http.StatusUnauthorized
	})

	// A key bound to a member stops working when the member leaves.
	var ana apiv1.CreatedKey
	primary.Do(t, "POST", "/v1/keys", admin, map[string]any{"role": "member", "member": "ana"}).Want(t, http.StatusCreated).Decode(t, &ana)
	primary.Do(t, "GET", "/v1/members/ana/preferences", ana.Key, nil).Want(t, http.StatusOK)
	primary.Do(t, "DELETE", "/v1/members/ana", admin, map[string]any{"reason": "moved on"}).Want(t, http.StatusCreated)
	waitUntil(t, 10*time.Second, func() bool {
		return primary.Do(t, "GET", "/v1/members/ana/preferences", ana.Key, nil).Status == http.StatusUnauthorized
	})
	// A key cannot revoke itself.
	var self apiv1.CreatedKey
	primary.Do(t, "POST", "/v1/keys", admin, map[string]any{"role": "admin"}).Want(t, http.StatusCreated).Decode(t, &self)
	primary.Do(t, "DELETE", "/v1/keys/"+self.ID, self.Key, nil).WantProblem(t, http.StatusUnprocessableEntity, "id")
}
