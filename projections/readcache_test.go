package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
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
	c := startCached(t, ctx)
	e, w, feedQueries, densityQueries, balanceQueries := c.e, c.w, c.feed, c.density, c.balance

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

// cachedEngine is an engine running the feed, density and allowance
// projections, the queries of their modules, and the random workload of
// the replay test writing to it. The queries share the caches that the
// engine's projections keep right.
type cachedEngine struct {
	e                      *enginetest.Engine
	w                      *workload
	feed, density, balance map[string]projector.QueryFunc
}

func startCached(t *testing.T, ctx context.Context) cachedEngine {
	t.Helper()
	clock := enginetest.NewClock(time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	mods := []projector.Module{feed.Module(), density.Module(), allowance.Module()}
	e := enginetest.Start(t, engine.Config{Now: clock.Now, Modules: mods})
	return cachedEngine{
		e: e, w: newWorkload(t, ctx, e, clock),
		feed:    mods[0].Queries(e.Runners[feed.Name], clock.Now),
		density: mods[1].Queries(e.Runners[density.Name], clock.Now),
		balance: mods[2].Queries(e.Runners[allowance.Name], clock.Now),
	}
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
	qs := []apiv1.FeedQuery{{Tenant: tn, Scope: "tenant"}, {Tenant: tn, Scope: "tenant", Value: w.pick(values)}}
	for _, team := range teams {
		qs = append(qs, apiv1.FeedQuery{Tenant: tn, Scope: "team:" + team})
	}
	for range 4 {
		m := w.pick(w.members[tn])
		qs = append(qs, apiv1.FeedQuery{Tenant: tn, Scope: "member:" + m, Direction: "received", Viewer: m},
			apiv1.FeedQuery{Tenant: tn, Scope: "member:" + m, Direction: "given"})
	}
	n := 0
	for _, q := range qs {
		q.Limit = 10
		for page := range 2 {
			what := fmt.Sprintf("feed %+v, page %d", q, page+1)
			agree(t, what, r, queries[apiv1.QueryFeedPage], apiv1.FeedRequest{FeedQuery: q}, func(rd *projector.Reader) (any, error) {
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
		agree(t, fmt.Sprintf("balance of %s/%s", tn, m), r, queries[apiv1.QueryBalance],
			apiv1.BalanceRequest{Tenant: tn, Member: m}, func(rd *projector.Reader) (any, error) {
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
			agree(t, fmt.Sprintf("density of %s/%s, %s", tn, team, win), r, queries[apiv1.QueryDensityTeam],
				apiv1.DensityRequest{Tenant: tn, Team: team, Window: win}, func(rd *projector.Reader) (any, error) {
					return density.Team(rd, tn, team, span(win))
				})
			n++
		}
		for _, days := range []int{1, 14} {
			agree(t, fmt.Sprintf("gaps of %s/%s, %d days", tn, team, days), r, queries[apiv1.QueryDensityGaps],
				apiv1.DensityRequest{Tenant: tn, Team: team, Days: days}, func(rd *projector.Reader) (any, error) {
					return density.TeamGaps(rd, tn, team, days, w.clock.Now())
				})
			n++
		}
	}
	agree(t, "density of "+tn, r, queries[apiv1.QueryDensityTenant], apiv1.DensityRequest{Tenant: tn, Window: "7d"},
		func(rd *projector.Reader) (any, error) { return density.Tenant(rd, tn, span("7d")) })
	n++
	for range 4 {
		m, win := w.pick(w.members[tn]), w.pick(windows)
		agree(t, fmt.Sprintf("density of %s/%s, %s", tn, m, win), r, queries[apiv1.QueryDensityMember],
			apiv1.DensityRequest{Tenant: tn, Member: m, Window: win}, func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tn, m, span(win))
			})
		n++
	}
	return n
}

// TestReadCachesAgreeWhileWritten: readers ask the cached queries while
// the workload writes and the projectors apply, so that values read from
// older snapshots reach the caches while the changes that outdate them are
// applied. Wherever nothing moved during a check (the same sequence and
// the same store answer before and after, on a clock that stood still),
// the cached answer must equal the store's: a stale value a reader put
// after a change was applied would stay in the cache and fail it.
func TestReadCachesAgreeWhileWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCached(t, ctx)
	e, w, clock, feedQueries, densityQueries, balanceQueries := c.e, c.w, c.w.clock, c.feed, c.density, c.balance
	e.CaughtUp(t, 30*time.Second)

	tenants := slices.Clone(w.tenants)
	// check asks one query at random; it reports whether the answer was
	// compared (nothing moved meanwhile).
	check := func(rnd *rand.Rand) (kind string, compared bool) {
		tn := tenants[rnd.Intn(len(tenants))]
		m := fmt.Sprintf("m%03d", rnd.Intn(30))
		team := teams[rnd.Intn(len(teams))]
		switch rnd.Intn(3) {
		case 0:
			q := apiv1.FeedQuery{Tenant: tn, Limit: 10}
			switch rnd.Intn(4) {
			case 0:
				q.Scope = "tenant"
			case 1:
				q.Scope, q.Value = "tenant", values[rnd.Intn(len(values))]
			case 2:
				q.Scope = "team:" + team
			default:
				q.Scope, q.Direction, q.Viewer = "member:"+m, "received", m
			}
			return "feed", stableAgree(t, clock, fmt.Sprintf("feed %+v", q), e.Runners[feed.Name], feedQueries[apiv1.QueryFeedPage],
				apiv1.FeedRequest{FeedQuery: q}, func(rd *projector.Reader, _ time.Time) (any, error) { return feed.Read(rd, q) })
		case 1:
			return "balance", stableAgree(t, clock, "balance of "+tn+"/"+m, e.Runners[allowance.Name], balanceQueries[apiv1.QueryBalance],
				apiv1.BalanceRequest{Tenant: tn, Member: m}, func(rd *projector.Reader, now time.Time) (any, error) {
					return allowance.Read(rd, tn, m, now)
				})
		default:
			win := []string{"1d", "7d", "30d", "week"}[rnd.Intn(4)]
			r := e.Runners[density.Name]
			if rnd.Intn(2) == 0 {
				return "density", stableAgree(t, clock, fmt.Sprintf("density of %s/%s, %s", tn, team, win), r, densityQueries[apiv1.QueryDensityTeam],
					apiv1.DensityRequest{Tenant: tn, Team: team, Window: win}, func(rd *projector.Reader, now time.Time) (any, error) {
						s, err := density.NewSpan(win, "", now)
						if err != nil {
							return nil, err
						}
						return density.Team(rd, tn, team, s)
					})
			}
			return "density", stableAgree(t, clock, fmt.Sprintf("density of %s/%s, %s", tn, m, win), r, densityQueries[apiv1.QueryDensityMember],
				apiv1.DensityRequest{Tenant: tn, Member: m, Window: win}, func(rd *projector.Reader, now time.Time) (any, error) {
					s, err := density.NewSpan(win, "", now)
					if err != nil {
						return nil, err
					}
					return density.Member(rd, tn, m, s)
				})
		}
	}

	stop := make(chan struct{})
	var mu sync.Mutex
	asked, compared := map[string]int{}, map[string]int{}
	var readers sync.WaitGroup
	for i := range 4 {
		readers.Go(func() {
			rnd := rand.New(rand.NewSource(int64(i)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				kind, ok := check(rnd)
				mu.Lock()
				asked[kind]++
				if ok {
					compared[kind]++
				}
				mu.Unlock()
			}
		})
	}
	events := min(*replayEvents, 3000)
	for w.events < events && !t.Failed() {
		w.step(t, ctx)
		if w.events%25 == 0 { // a pause now and then, for checks with nothing moving
			time.Sleep(2 * time.Millisecond)
		}
	}
	close(stop)
	readers.Wait()
	t.Logf("%d events; answers asked %v, compared %v", w.events, asked, compared)
	// A stale value left behind in a cache may not have been asked for
	// again while nothing moved: once everything is applied, every query
	// of the agreement test, twice (the second from the cache).
	e.CaughtUp(t, 30*time.Second)
	for _, tn := range w.tenants {
		for range 2 {
			checkFeed(t, e, feedQueries, w, tn)
			checkDensity(t, e, densityQueries, w, tn)
			checkBalances(t, e, balanceQueries, w, tn)
		}
	}
	for _, kind := range []string{"feed", "balance", "density"} {
		if compared[kind] < 50 {
			t.Errorf("only %d %s answers compared (of %d asked): too few to tell", compared[kind], kind, asked[kind])
		}
	}
}

// stableAgree reads the store's answer, asks the cached query, and reads
// the store's answer again; when the sequence, the store's answer and the
// clock were the same both times, the query saw that state too (the
// runner publishes a sequence after committing it, so at most one
// committed batch is not yet published, and two reads that agree leave no
// room for a change and its undoing), and its answer must equal it. It
// reports whether it compared.
func stableAgree(t *testing.T, clock *enginetest.Clock, what string, r *projector.Runner, fn projector.QueryFunc, req any,
	direct func(rd *projector.Reader, now time.Time) (any, error)) bool {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	read := func(now time.Time) (seq uint64, answer []byte, failed bool) {
		if err := r.View(func(rd *projector.Reader) error {
			seq = rd.Seq()
			v, err := direct(rd, now)
			if err != nil {
				failed = true
				return nil
			}
			answer, err = json.Marshal(v)
			return err
		}); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return seq, answer, failed
	}
	now := clock.Now()
	seq0, want, failed0 := read(now)
	got, gotErr := fn(context.Background(), raw)
	seq1, again, failed1 := read(now)
	if seq0 != seq1 || !clock.Now().Equal(now) || failed0 != failed1 || !bytes.Equal(want, again) {
		return false
	}
	switch {
	case (gotErr == nil) == failed0:
		t.Errorf("%s: cached error %v, store failed: %v", what, gotErr, failed0)
	case gotErr == nil && !bytes.Equal(got, want):
		t.Errorf("%s:\ncached %s\nstore  %s", what, got, want)
	}
	return true
}
