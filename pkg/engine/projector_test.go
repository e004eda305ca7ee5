package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/feed"
)

// TestProjectorAlone is "plauditd projector feed" in process: an engine
// with no projections of its own exposes its embedded NATS; a second
// engine runs only the feed projection against that NATS, as replica r2
// with its own data dir. The replica catches up with the stream, answers
// feed queries over NATS, and the first engine answers GET /v1/feed through
// it, reading its own writes.
func TestProjectorAlone(t *testing.T) {
	t.Parallel()
	primary := enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t)})
	if primary.NATSURL() == "" {
		t.Fatal("the embedded NATS does not listen")
	}
	if len(primary.Runners) != 0 {
		t.Fatalf("the main engine runs projections %v", primary.Runners)
	}
	admin := primary.Key(t, "acme", auth.Admin, "")
	primary.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
	)
	give := func(n int) (id string, seq uint64) {
		t.Helper()
		r := primary.Do(t, "POST", "/v1/kudos", admin, map[string]any{
			"from": "ana", "to": []string{"bo"}, "message": "Thanks for walking the new hire through the refund tooling, round " + strconv.Itoa(n),
		}).Want(t, http.StatusCreated)
		return r.Str("id"), r.Seq()
	}
	var ids []string
	for i := range 3 {
		id, _ := give(i)
		ids = append(ids, id)
	}

	// No replica yet: the gateway says so at once.
	primary.Do(t, "GET", "/v1/feed", admin, nil).WantProblem(t, http.StatusServiceUnavailable, "")

	replica := enginetest.Start(t, engine.Config{
		Only: feed.Name, NATSURL: primary.NATSURL(), NATSKeysDir: primary.NATSKeysDir(), Replica: "r2", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Modules: []projector.Module{feed.Module(), allowance.Module()},
	})
	r, ok := replica.Runners[feed.Name]
	if !ok || len(replica.Runners) != 1 {
		t.Fatalf("the replica runs %v, want only %s", replica.Runners, feed.Name)
	}
	if r.ConsumerName() != "proj_feed_r2" {
		t.Errorf("the replica's consumer is %s", r.ConsumerName())
	}

	// (a) Its store catches up with the stream.
	last := primary.StreamLastSeq(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, last); err != nil || r.LastSeq() < last {
		t.Fatalf("replica at %d of %d: %v", r.LastSeq(), last, err)
	}

	// (b) A feed query over NATS is answered by the replica.
	q, _ := json.Marshal(apiv1.FeedRequest{FeedQuery: apiv1.FeedQuery{Tenant: "acme", Scope: "tenant"}, MinSeq: last})
	out, err := projector.RemoteQuery(primary.Conn(), apiv1.QueryFeedPage)(ctx, q)
	if err != nil {
		t.Fatalf("feed query over NATS: %v", err)
	}
	var page apiv1.FeedPage
	if err := json.Unmarshal(out, &page); err != nil {
		t.Fatal(err)
	}
	got := func(p apiv1.FeedPage) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		return out
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got(page), want) {
		t.Fatalf("over NATS: %v, want %v", got(page), want)
	}
	// A bad query over NATS is refused for its field, as over HTTP.
	bad, _ := json.Marshal(apiv1.FeedRequest{FeedQuery: apiv1.FeedQuery{Tenant: "acme", Scope: "planet"}})
	_, err = projector.RemoteQuery(primary.Conn(), apiv1.QueryFeedPage)(ctx, bad)
	var qe *projector.QueryError
	if !errors.As(err, &qe) || qe.Status != http.StatusBadRequest || qe.Field != "scope" {
		t.Fatalf("bad query over NATS: %v", err)
	}

	// (c) The main engine, with no projection of its own, answers
	// GET /v1/feed through the replica, reading its own writes.
	id, seq := give(3)
	var p apiv1.FeedPage
	primary.Do(t, "GET", "/v1/feed?min_seq="+strconv.FormatUint(seq, 10), admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if want = append([]string{id}, want...); !slices.Equal(got(p), want) {
		t.Fatalf("GET /v1/feed through the replica: %v, want %v", got(p), want)
	}
	member := primary.Key(t, "acme", auth.Member, "bo")
	primary.Do(t, "GET", "/v1/feed?scope=member:ana", member, nil).WantProblem(t, http.StatusForbidden, "scope")
	primary.Do(t, "GET", "/v1/feed?scope=member:bo&limit=2", member, nil).Want(t, http.StatusOK).Decode(t, &p)
	if !slices.Equal(got(p), want[:2]) || p.NextCursor == "" {
		t.Fatalf("bo's feed through the replica: %v (cursor %q)", got(p), p.NextCursor)
	}
	primary.Do(t, "GET", "/v1/feed?limit=500", admin, nil).WantProblem(t, http.StatusBadRequest, "limit")
	// Nobody runs the allowance projection: its reads are unavailable.
	primary.Do(t, "GET", "/v1/members/bo/balance", admin, nil).WantProblem(t, http.StatusServiceUnavailable, "")

	// The replica serves its own metrics and health, and no API.
	m := replica.Do(t, "GET", "/metrics", "", nil).Want(t, http.StatusOK)
	if !strings.Contains(string(m.Body), `plaudit_projection_last_applied_seq{projection="feed"}`) {
		t.Error("the replica's /metrics lacks the feed's last applied sequence")
	}
	replica.Do(t, "GET", "/readyz", "", nil).Want(t, http.StatusOK)
	replica.Do(t, "GET", "/v1/feed", admin, nil).Want(t, http.StatusNotFound)
}
