package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
)

// TestReadCachesAgreeWithTheStore: the feed, balance and density queries answer
// through their read-side caches (projector.ReadCache), which the
// projections keep right by telling them of each change. Through the
// random workload of the replay test, asked again and again as kudos,
// reactions, retractions and late events change what they hold, every
// answer equals the one read from the store alone, at the same sequence.
func TestReadCachesAgreeWithTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := enginetest.NewClock(time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	mods := []projector.Module{feed.Module(), density.Module(), allowance.Module()}
	e := enginetest.Start(t, engine.Config{Now: clock.Now, Modules: mods})
	// The engine's modules: their queries share the caches the engine's
	// projections keep right.
	feedQueries := mods[0].Queries(e.Runners[feed.Name], clock.Now)
	densityQueries := mods[1].Queries(e.Runners[density.Name], clock.Now)
	balanceQueries := mods[2].Queries(e.Runners[allowance.Name], clock.Now)
	w := newWorkload(t, ctx, e, clock)

	events := min(*replayEvents, 4000)
	checks, answers := 0, 0
	for w.events < events {
		w.step(t, ctx)
		if w.events%200 != 0 && w.events < events {
			continue
		}
		e.CaughtUp(t, 30*time.Second)
		checks++
		for _, tn := range w.tenants {
			// Each asked twice: the second answer comes from the cache.
			for range 2 {
				answers += checkFeed(t, e, feedQueries, w, tn)
				answers += checkDensity(t, e, densityQueries, w, tn)
				answers += checkBalances(t, e, balanceQueries, w, tn)
			}
		}
		if t.Failed() {
			t.Fatalf("after %d events", w.events)
		}
	}
	t.Logf("%d events, %d checks, %d answers compared", w.events, checks, answers)
}

// agree compares the answer of a query through its cache with the one
// read from the store alone.
func agree(t *testing.T, what string, r *projector.Runner, fn projector.QueryFunc, req any, direct func(rd *projector.Reader) (any, error)) {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	got, gotErr := fn(context.Background(), raw)
	var want []byte
	var wantErr error
	if err := r.View(func(rd *projector.Reader) error {
		v, err := direct(rd)
		if err != nil {
			wantErr = err
			return nil
		}
		want, err = json.Marshal(v)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Errorf("%s: cached error %v, store error %v", what, gotErr, wantErr)
	case gotErr == nil && !bytes.Equal(got, want):
		t.Errorf("%s:\ncached %s\nstore  %s", what, got, want)
	}
}

// checkFeed asks for the tenant's feed, each team's, and the kudos some
// members received and gave, two pages each; it returns how many answers
// it compared.
func checkFeed(t *testing.T, e *enginetest.Engine, queries map[string]projector.QueryFunc, w *workload, tn string) int {
	t.Helper()
	r := e.Runners[feed.Name]
	qs := []feed.Query{{Tenant: tn, Scope: "tenant"}, {Tenant: tn, Scope: "tenant", Value: w.pick(values)}}
	for _, team := range teams {
		qs = append(qs, feed.Query{Tenant: tn, Scope: "team:" + team})
	}
	for range 4 {
		m := w.pick(w.members[tn])
		qs = append(qs, feed.Query{Tenant: tn, Scope: "member:" + m, Direction: "received", Viewer: m},
			feed.Query{Tenant: tn, Scope: "member:" + m, Direction: "given"})
	}
	n := 0
	for _, q := range qs {
		q.Limit = 10
		for page := range 2 {
			what := fmt.Sprintf("feed %+v, page %d", q, page+1)
			agree(t, what, r, queries[feed.QueryPage], feed.PageRequest{Query: q}, func(rd *projector.Reader) (any, error) {
				return feed.Read(rd, q)
			})
			n++
			var next feed.Page
			if err := r.View(func(rd *projector.Reader) (err error) { next, err = feed.Read(rd, q); return err }); err != nil {
				t.Fatal(err)
			}
			if next.NextCursor == "" {
				break
			}
			q.Cursor = next.NextCursor
		}
	}
	return n
}

// checkBalances asks for every member's balance, those who left included;
// it returns how many answers it compared.
func checkBalances(t *testing.T, e *enginetest.Engine, queries map[string]projector.QueryFunc, w *workload, tn string) int {
	t.Helper()
	r := e.Runners[allowance.Name]
	for _, m := range w.members[tn] {
		agree(t, fmt.Sprintf("balance of %s/%s", tn, m), r, queries[allowance.QueryBalance],
			allowance.BalanceRequest{Tenant: tn, Member: m}, func(rd *projector.Reader) (any, error) {
				return allowance.Read(rd, tn, m, w.clock.Now())
			})
	}
	return len(w.members[tn])
}

// checkDensity asks for each team's figures over every window, the
// tenant's, some members' and the gaps; it returns how many answers it
// compared.
func checkDensity(t *testing.T, e *enginetest.Engine, queries map[string]projector.QueryFunc, w *workload, tn string) int {
	t.Helper()
	r := e.Runners[density.Name]
	span := func(window string) density.Span {
		s, err := density.NewSpan(window, "", w.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	n := 0
	windows := []string{"1d", "7d", "30d", "week"}
	for _, team := range teams {
		for _, win := range windows {
			agree(t, fmt.Sprintf("density of %s/%s, %s", tn, team, win), r, queries[density.QueryTeam],
				density.Request{Tenant: tn, Team: team, Window: win}, func(rd *projector.Reader) (any, error) {
					return density.Team(rd, tn, team, span(win))
				})
			n++
		}
		for _, days := range []int{1, 14} {
			agree(t, fmt.Sprintf("gaps of %s/%s, %d days", tn, team, days), r, queries[density.QueryGaps],
				density.Request{Tenant: tn, Team: team, Days: days}, func(rd *projector.Reader) (any, error) {
					return density.TeamGaps(rd, tn, team, days, w.clock.Now())
				})
			n++
		}
	}
	agree(t, "density of "+tn, r, queries[density.QueryTenant], density.Request{Tenant: tn, Window: "7d"},
		func(rd *projector.Reader) (any, error) { return density.Tenant(rd, tn, span("7d")) })
	n++
	for range 4 {
		m, win := w.pick(w.members[tn]), w.pick(windows)
		agree(t, fmt.Sprintf("density of %s/%s, %s", tn, m, win), r, queries[density.QueryMember],
			density.Request{Tenant: tn, Member: m, Window: win}, func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tn, m, span(win))
			})
		n++
	}
	return n
}
