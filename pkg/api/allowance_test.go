package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func lisbon(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestConcurrentGiveNeverOverspends races 100 one-point kudos from one giver
// with 5 points left: exactly 5 are stored, the other 95 are refused with
// the allowance state, and the stream grows by exactly 5.
func TestConcurrentGiveNeverOverspends(t *testing.T) {
	t.Parallel()
	loc := lisbon(t)
	// Summer time: Lisbon is UTC+1, so its midnight differs from UTC's.
	c := newClock(time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC))
	f := newFixture(t, c, engine.Config{})
	before := streamLen(t, f.e)

	const n = 100
	results := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = doAsync(t, f.e, "POST", "/v1/kudos", f.keys["ana"], map[string]any{
				"to": []string{"bo"}, "message": specific, "values": []string{"ownership"}, "points": 1,
			}, nil)
		})
	}
	close(start)
	wg.Wait()

	wantReset := time.Date(2026, 7, 16, 0, 0, 0, 0, loc)
	created, refused := 0, 0
	ids := map[string]bool{}
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
			ids[r.Str("id")] = true
		case http.StatusUnprocessableEntity:
			refused++
			wantProblem(t, r, http.StatusUnprocessableEntity, "points")
			if typ := r.Str("type"); !strings.HasSuffix(typ, "allowance-exceeded") {
				t.Errorf("type %q", typ)
			}
			a, _ := r.JSON["allowance"].(map[string]any)
			if a == nil {
				t.Fatalf("no allowance object: %s", r.Body)
			}
			if a["remaining"] != 0.0 || a["limit"] != 5.0 || a["spent"] != 5.0 || a["requested"] != 1.0 || a["period"] != "day:2026-07-15" {
				t.Errorf("allowance %v", a)
			}
			s, _ := a["resets_at"].(string)
			at, err := time.Parse(time.RFC3339, s)
			if err != nil || !at.Equal(wantReset) || !strings.HasSuffix(s, "+01:00") {
				t.Errorf("resets_at %q, want the next Lisbon midnight %s", s, wantReset.Format(time.RFC3339))
			}
		default:
			t.Errorf("unexpected answer %s", r)
		}
	}
	if created != 5 || refused != n-5 || len(ids) != 5 {
		t.Errorf("%d created (%d ids), %d refused; want 5 and %d", created, len(ids), refused, n-5)
	}
	if got := streamLen(t, f.e) - before; got != 5 {
		t.Errorf("stream grew by %d, want 5", got)
	}
}

// TestAllowanceResetsAtLocalMidnight spends the allowance late in the
// evening, is refused a minute before the giver's midnight and allowed a
// minute after it, while a giver in New York, whose day has not ended, is
// still refused.
func TestAllowanceResetsAtLocalMidnight(t *testing.T) {
	t.Parallel()
	loc := lisbon(t)
	c := newClock(time.Date(2026, 7, 15, 23, 55, 0, 0, loc))
	f := newFixture(t, c, engine.Config{})

	f.give(t, f.keys["ana"], http.StatusCreated, map[string]any{"points": 5}, nil)
	f.give(t, f.admin, http.StatusCreated, map[string]any{"from": "dee", "to": []string{"cy"}, "points": 5}, nil)

	c.Set(time.Date(2026, 7, 15, 23, 59, 0, 0, loc))
	before := streamLen(t, f.e)
	r := f.give(t, f.keys["ana"], http.StatusUnprocessableEntity, nil, nil)
	wantProblem(t, r, http.StatusUnprocessableEntity, "points")
	a, _ := r.JSON["allowance"].(map[string]any)
	if a["resets_at"] != "2026-07-16T00:00:00+01:00" || a["remaining"] != 0.0 {
		t.Errorf("allowance %v", a)
	}
	if streamLen(t, f.e) != before {
		t.Error("a refused kudos grew the stream")
	}

	c.Set(time.Date(2026, 7, 16, 0, 1, 0, 0, loc)) // 23:01 UTC, still the 15th in UTC
	r = f.give(t, f.keys["ana"], http.StatusCreated, map[string]any{"points": 5}, nil)
	if r.Seq() != before+1 {
		t.Errorf("seq %d, want %d", r.Seq(), before+1)
	}
	f.give(t, f.keys["ana"], http.StatusUnprocessableEntity, nil, nil)

	// 19:01 in New York: dee's day is the 15th still.
	r = f.give(t, f.admin, http.StatusUnprocessableEntity, map[string]any{"from": "dee", "to": []string{"cy"}}, nil)
	a, _ = r.JSON["allowance"].(map[string]any)
	if a["resets_at"] != "2026-07-16T00:00:00-04:00" || a["period"] != "day:2026-07-15" {
		t.Errorf("dee's allowance %v", a)
	}
}

// TestTwoEnginesNeverOverspend races kudos from one giver through two
// engines sharing one stream (the second joins the first's NATS as an
// external server): the conditional append keeps the total within the
// allowance across processes too.
func TestTwoEnginesNeverOverspend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{NATSListen: testenv.FreeAddr(t)})
	second := startEngine(t, engine.Config{NATSURL: f.e.NATSURL(), NATSKeysDir: f.e.NATSKeysDir()})
	before := streamLen(t, f.e)

	const n = 60
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		e := f.e
		if i%2 == 1 {
			e = second
		}
		wg.Go(func() {
			results[i] = doAsync(t, e, "POST", "/v1/kudos", f.keys["ana"], map[string]any{
				"to": []string{"bo"}, "message": specific, "points": 1,
			}, nil)
		})
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
			wantProblem(t, r, http.StatusUnprocessableEntity, "points")
		default:
			t.Errorf("unexpected answer %s", r)
		}
	}
	if created != 5 {
		t.Errorf("%d kudos created, want 5", created)
	}
	if got := streamLen(t, f.e) - before; got != 5 {
		t.Errorf("stream grew by %d, want 5", got)
	}
}
