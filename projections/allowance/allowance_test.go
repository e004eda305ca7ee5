package allowance_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

// world is an engine running the feed and allowance projections on an
// injected clock, with tenant acme: ana (Lisbon), bo (New York, managed by
// dee) and cy (Tokyo) in team support, dee (New York, with a manager key)
// in team sales, and a policy of 10 points a day.
type world struct {
	*projtest.World
	clock *enginetest.Clock
	n     int
}

func newWorld(t *testing.T, at time.Time, policy string) *world {
	t.Helper()
	c := enginetest.NewClock(at)
	w := &world{clock: c, World: projtest.NewWorld(t, c.Now, policy, []enginetest.Member{
		{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		{ID: "dee", Team: "sales", TimeZone: "America/New_York"},
		{ID: "bo", Team: "support", TimeZone: "America/New_York", Manager: "dee"},
		{ID: "cy", Team: "support", TimeZone: "Asia/Tokyo"},
	}, feed.Module(), allowance.Module())}
	w.Keys["dee"] = w.Key(t, projtest.Tenant, auth.Manager, "dee")
	return w
}

// give gives points to each of to from the giver's key and wants status.
func (w *world) give(t *testing.T, from string, points int, status int, to ...string) enginetest.Response {
	t.Helper()
	w.n++
	r := w.Do(t, "POST", "/v1/kudos", w.Keys[from], map[string]any{
		"to": to, "points": points,
		"message": fmt.Sprintf("Thanks for covering the late shift on the billing queue, night %d", w.n),
	})
	r.Want(t, status)
	if status == http.StatusCreated {
		w.Last = r.Seq()
	}
	return r
}

func (w *world) boost(t *testing.T, body string) {
	t.Helper()
	w.Last = w.Do(t, "POST", "/v1/boosts", w.Admin, body).Want(t, http.StatusCreated).Seq()
}

// balance reads a member's balance with key after the last write.
func (w *world) balance(t *testing.T, key, member string) (apiv1.Balance, enginetest.Response) {
	t.Helper()
	r := w.Do(t, "GET", "/v1/members/"+member+"/balance?min_seq="+strconv.FormatUint(w.Last, 10), key, nil)
	var b apiv1.Balance
	if r.Status == http.StatusOK {
		r.Decode(t, &b)
	}
	return b, r
}

// want is the part of a balance a test states.
type want struct {
	period              string
	limit, spent        int
	resetsAt            string // RFC 3339, in the member's zone
	recvPeriod, recvAll apiv1.Received
}

// check reads member's balance and compares it with w, and with the write
// side's own decision: a give of one point more than the balance's
// remaining is refused with the same limit, spent, remaining, period and
// reset; a give of exactly the remaining would pass (not sent).
func (w *world) check(t *testing.T, member string, wt want) {
	t.Helper()
	b, r := w.balance(t, w.Admin, member)
	r.Want(t, http.StatusOK)
	got := want{b.Period, b.Limit, b.Spent, r.Str("resets_at"), b.ReceivedPeriod, b.ReceivedTotal}
	if got != wt {
		t.Errorf("%s's balance\n got %+v\nwant %+v", member, got, wt)
	}
	if b.Remaining != max(b.Limit-b.Spent, 0) || b.Member != member {
		t.Errorf("%s's balance %+v", member, b)
	}
	// The write side decides the same: one point more than remaining is
	// refused, with the same numbers.
	to := "ana"
	if member == "ana" {
		to = "bo"
	}
	refused := w.give(t, member, b.Remaining+1, http.StatusUnprocessableEntity, to)
	a, _ := refused.JSON["allowance"].(map[string]any)
	if a == nil {
		t.Fatalf("refusal without allowance: %s", refused)
	}
	ws := fmt.Sprintf("limit %v spent %v remaining %v period %v resets_at %v", a["limit"], a["spent"], a["remaining"], a["period"], a["resets_at"])
	ps := fmt.Sprintf("limit %d spent %d remaining %d period %s resets_at %s", b.Limit, b.Spent, b.Remaining, b.Period, r.Str("resets_at"))
	if ws != ps {
		t.Errorf("%s: the write side decides on\n%s\nthe projection shows\n%s", member, ws, ps)
	}
}

func recv(points, count int) apiv1.Received {
	return apiv1.Received{Points: points, Count: count}
}

// TestBalanceAgreesWithWriteSide follows three members in three time zones
// through gives, boosts, retractions in and after the period, and period
// ends, checking every number against the write side's decisions.
func TestBalanceAgreesWithWriteSide(t *testing.T) {
	t.Parallel()
	// Wednesday 15 July 2026, 12:00 UTC: 13:00 in Lisbon, 08:00 in New
	// York, 21:00 in Tokyo.
	w := newWorld(t, time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), `{"allowance":{"amount":10,"period":"day"}}`)
	const (
		anaReset = "2026-07-16T00:00:00+01:00"
		boReset  = "2026-07-16T00:00:00-04:00"
		cyReset  = "2026-07-16T00:00:00+09:00"
	)
	w.check(t, "ana", want{"day:2026-07-15", 10, 0, anaReset, recv(0, 0), recv(0, 0)})

	k1 := w.give(t, "ana", 2, http.StatusCreated, "bo").Str("id")
	k2 := w.give(t, "ana", 1, http.StatusCreated, "bo", "cy").Str("id")
	k3 := w.give(t, "cy", 3, http.StatusCreated, "ana").Str("id")
	w.check(t, "ana", want{"day:2026-07-15", 10, 4, anaReset, recv(3, 1), recv(3, 1)})
	w.check(t, "bo", want{"day:2026-07-15", 10, 0, boReset, recv(3, 2), recv(3, 2)})
	w.check(t, "cy", want{"day:2026-07-15", 10, 3, cyReset, recv(1, 1), recv(1, 1)})

	// Boosts: ana alone today, team support for the week.
	w.boost(t, `{"member":"ana","points":5,"from":"2026-07-15","to":"2026-07-15","reason":"launch day"}`)
	w.boost(t, `{"team":"support","points":2,"from":"2026-07-15","to":"2026-07-20","reason":"peak week"}`)
	w.check(t, "ana", want{"day:2026-07-15", 17, 4, anaReset, recv(3, 1), recv(3, 1)})
	w.check(t, "dee", want{"day:2026-07-15", 10, 0, "2026-07-16T00:00:00-04:00", recv(0, 0), recv(0, 0)})

	// Spend all but two; the check's refused probes spent nothing.
	w.give(t, "ana", 11, http.StatusCreated, "cy")
	w.check(t, "ana", want{"day:2026-07-15", 17, 15, anaReset, recv(3, 1), recv(3, 1)})
	w.give(t, "ana", 2, http.StatusCreated, "cy")
	w.check(t, "ana", want{"day:2026-07-15", 17, 17, anaReset, recv(3, 1), recv(3, 1)})
	w.check(t, "cy", want{"day:2026-07-15", 12, 3, cyReset, recv(14, 3), recv(14, 3)})

	// A retraction in the same period refunds the giver and takes the
	// points back from the recipient, this period and all time.
	w.Retract(t, "ana", k1)
	w.check(t, "ana", want{"day:2026-07-15", 17, 15, anaReset, recv(3, 1), recv(3, 1)})
	w.check(t, "bo", want{"day:2026-07-15", 12, 0, boReset, recv(1, 1), recv(1, 1)})

	// 16:00 UTC: Tokyo is on 16 July, Lisbon and New York still on the 15th.
	w.clock.Set(time.Date(2026, 7, 15, 16, 0, 0, 0, time.UTC))
	w.check(t, "cy", want{"day:2026-07-16", 12, 0, "2026-07-17T00:00:00+09:00", recv(0, 0), recv(14, 3)})
	// Retracted in ana's same period (refunded) but in cy's next one: cy
	// loses the points all time, not this period.
	w.Retract(t, "ana", k2)
	w.check(t, "ana", want{"day:2026-07-15", 17, 13, anaReset, recv(3, 1), recv(3, 1)})
	w.check(t, "cy", want{"day:2026-07-16", 12, 0, "2026-07-17T00:00:00+09:00", recv(0, 0), recv(13, 2)})
	w.check(t, "bo", want{"day:2026-07-15", 12, 0, boReset, recv(0, 0), recv(0, 0)})

	// Next day everywhere: ana's own boost is over, the team's goes on.
	w.clock.Set(time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	w.check(t, "ana", want{"day:2026-07-16", 12, 0, "2026-07-17T00:00:00+01:00", recv(0, 0), recv(3, 1)})
	// cy's kudos of yesterday is retracted today: no refund, the points
	// leave ana's all-time total.
	w.Retract(t, "cy", k3)
	w.check(t, "cy", want{"day:2026-07-16", 12, 0, "2026-07-17T00:00:00+09:00", recv(0, 0), recv(13, 2)})
	w.check(t, "ana", want{"day:2026-07-16", 12, 0, "2026-07-17T00:00:00+01:00", recv(0, 0), recv(0, 0)})
	w.clock.Set(time.Date(2026, 7, 21, 12, 0, 0, 0, time.UTC))
	w.check(t, "bo", want{"day:2026-07-21", 10, 0, "2026-07-22T00:00:00-04:00", recv(0, 0), recv(0, 0)})
}

// TestBalancePeriodsInTheMembersZone: weekly and monthly allowances start
// at the member's local midnight, across a daylight-saving change too.
func TestBalancePeriodsInTheMembersZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy string
		at           time.Time
		member       string
		period       string
		resetsAt     string
	}{
		// Sunday 19 July, 23:30 UTC: Monday already in Lisbon.
		{"week, Lisbon on Monday", `{"allowance":{"amount":20,"period":"week"}}`, time.Date(2026, 7, 19, 23, 30, 0, 0, time.UTC),
			"ana", "week:2026-W30", "2026-07-27T00:00:00+01:00"},
		{"week, New York on Sunday", `{"allowance":{"amount":20,"period":"week"}}`, time.Date(2026, 7, 19, 23, 30, 0, 0, time.UTC),
			"bo", "week:2026-W29", "2026-07-20T00:00:00-04:00"},
		{"month, Tokyo on the 1st", `{"allowance":{"amount":50,"period":"month"}}`, time.Date(2026, 7, 31, 16, 0, 0, 0, time.UTC),
			"cy", "month:2026-08", "2026-09-01T00:00:00+09:00"},
		// Lisbon leaves summer time on 25 October 2026: a 25-hour day.
		{"day of the autumn change", `{"allowance":{"amount":10,"period":"day"}}`, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
			"ana", "day:2026-10-25", "2026-10-26T00:00:00Z"},
		{"day of the spring change", `{"allowance":{"amount":10,"period":"day"}}`, time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC),
			"bo", "day:2026-03-08", "2026-03-09T00:00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.at, tt.policy)
			other := "ana"
			if tt.member == "ana" {
				other = "cy"
			}
			w.give(t, tt.member, 4, http.StatusCreated, other)
			b, r := w.balance(t, w.Admin, tt.member)
			r.Want(t, http.StatusOK)
			if b.Period != tt.period || r.Str("resets_at") != tt.resetsAt || b.Spent != 4 {
				t.Errorf("period %s, resets_at %s, spent %d; want %s, %s, 4", b.Period, r.Str("resets_at"), b.Spent, tt.period, tt.resetsAt)
			}
			w.check(t, tt.member, want{tt.period, b.Limit, 4, tt.resetsAt, recv(0, 0), recv(0, 0)})
			// At the reset the new period starts empty.
			reset, err := time.Parse(time.RFC3339, tt.resetsAt)
			if err != nil {
				t.Fatal(err)
			}
			w.clock.Set(reset)
			b, _ = w.balance(t, w.Admin, tt.member)
			if b.Period == tt.period || b.Spent != 0 || b.Remaining != b.Limit {
				t.Errorf("at the reset: %+v", b)
			}
			w.clock.Set(reset.Add(-time.Nanosecond))
			if b, _ = w.balance(t, w.Admin, tt.member); b.Period != tt.period || b.Spent != 4 {
				t.Errorf("just before the reset: %+v", b)
			}
		})
	}
}

func TestBalanceAuthorization(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), `{"allowance":{"amount":10,"period":"day"}}`)
	w.give(t, "ana", 2, http.StatusCreated, "bo")
	globex := w.Key(t, "globex", auth.Admin, "")
	w.Seed(t, globex, enginetest.Member{ID: "zed", Team: "ops", TimeZone: "Asia/Tokyo"})
	zed := w.Key(t, "globex", auth.Member, "zed")
	analyst := w.Key(t, projtest.Tenant, auth.Analyst, "")
	integration := w.Key(t, projtest.Tenant, auth.Integration, "")
	publisher := w.Key(t, projtest.Tenant, auth.Publisher, "")

	ok := []struct{ name, key, member string }{
		{"a member their own", w.Keys["ana"], "ana"},
		{"a member their own, bo", w.Keys["bo"], "bo"},
		{"a manager their own", w.Keys["dee"], "dee"},
		{"a manager a direct report", w.Keys["dee"], "bo"},
		{"an admin anyone", w.Admin, "cy"},
		{"an analyst anyone", analyst, "bo"},
		{"an integration anyone", integration, "ana"},
		{"another tenant's member their own", zed, "zed"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			b, r := w.balance(t, tt.key, tt.member)
			r.Want(t, http.StatusOK)
			if b.Member != tt.member {
				t.Errorf("balance of %q", b.Member)
			}
		})
	}
	refused := []struct {
		name, key, member string
		status            int
		field             string
	}{
		{"a member another's", w.Keys["ana"], "bo", http.StatusForbidden, "member"},
		{"a member their manager's", w.Keys["bo"], "dee", http.StatusForbidden, "member"},
		{"a manager someone not reporting to them", w.Keys["dee"], "cy", http.StatusForbidden, "member"},
		{"a manager an unknown member", w.Keys["dee"], "nobody", http.StatusForbidden, "member"},
		{"a publisher", publisher, "ana", http.StatusForbidden, "Authorization"},
		{"no key", "", "ana", http.StatusUnauthorized, "Authorization"},
		{"an unknown member", w.Admin, "nobody", http.StatusNotFound, "member"},
		{"not a member id", w.Admin, "Not-An-Id", http.StatusNotFound, "member"},
		{"another tenant's admin", globex, "ana", http.StatusNotFound, "member"},
		{"another tenant's member", zed, "ana", http.StatusForbidden, "member"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, r := w.balance(t, tt.key, tt.member)
			r.WantProblem(t, tt.status, tt.field)
		})
	}
	w.Do(t, "GET", "/v1/members/ana/balance?min_seq=later", w.Admin, nil).WantProblem(t, http.StatusBadRequest, "min_seq")
	start := time.Now()
	r := w.Do(t, "GET", "/v1/members/ana/balance?min_seq="+strconv.FormatUint(w.Last+500, 10), w.Admin, nil)
	r.WantProblem(t, http.StatusServiceUnavailable, "min_seq")
	if r.Header.Get("Retry-After") == "" || time.Since(start) > 3500*time.Millisecond {
		t.Errorf("Retry-After %q after %s", r.Header.Get("Retry-After"), time.Since(start))
	}
}
