package density_test

import (
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

const tenant = "acme"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// now is when the scenario's figures are read: Monday 30 November 2026,
// 12:00 UTC.
var now = at("2026-11-30T12:00:00Z")

// scenario is a tenant acme over two months, on an injected clock:
//
//	team support: ana (Pacific/Auckland, UTC+13), bo (America/Los_Angeles,
//	  UTC-8), cy (Europe/London), eve (America/New_York, joins on 25
//	  November), fay (Europe/Lisbon, leaves on 28 November); mia manages
//	  them all
//	team leads:   mia (Europe/Berlin), managed by zoe (Europe/Berlin)
//	team sales:   dan (Asia/Tokyo)
//
// and these kudos (moments are one per recipient):
//
//	K10 2026-10-30 12:00Z ana -> bo      ownership  appended last: late
//	K1  2026-11-03 10:00Z ana -> bo, cy  ownership
//	K12 2026-11-23 07:30Z ana -> bo      craft      Sunday 23:30 for bo in LA
//	K9  2026-11-23 12:30Z bo  -> cy      craft      appended late
//	K2  2026-11-24 11:00Z bo  -> ana     teamwork
//	K8  2026-11-25 10:00Z cy  -> bo      retracted an hour later
//	K7  2026-11-26 09:00Z ana -> fay     craft      fay leaves on the 28th
//	K6  2026-11-27 08:02Z customer -> ana           rating of 08:00:00Z
//	K5  2026-11-28 10:00:45Z customer -> bo         rating of 10:00:00Z
//	K4  2026-11-29 11:00Z dan -> cy      ownership, teamwork (cross-team)
//	K11 2026-11-29 11:30Z cy  -> ana     teamwork   Monday 00:30 for ana
//	K3  2026-11-29 13:00Z mia -> bo      craft      (from the manager)
type scenario struct {
	mod      projector.Module
	e        *enginetest.Engine
	clock    *enginetest.Clock
	admin    string
	keys     map[string]string
	ratingOf map[string]string // rating event id by agent
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	clock := enginetest.NewClock(at("2026-10-01T00:00:00Z"))
	mod := density.Module()
	e := enginetest.Start(t, engine.Config{Now: clock.Now, Modules: []projector.Module{mod}})
	s := &scenario{mod: mod, e: e, clock: clock, admin: e.Key(t, tenant, auth.Admin, ""), keys: map[string]string{}, ratingOf: map[string]string{}}
	e.Do(t, "PUT", "/v1/policy", s.admin, map[string]any{
		"allowance": map[string]any{"amount": 20, "period": "day"},
		"values":    []string{"ownership", "teamwork", "craft"},
	}).Want(t, http.StatusCreated)
	e.Seed(t, s.admin,
		enginetest.Member{ID: "zoe", Team: "leads", TimeZone: "Europe/Berlin"},
		enginetest.Member{ID: "mia", Team: "leads", TimeZone: "Europe/Berlin", Manager: "zoe"},
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Pacific/Auckland", Manager: "mia"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "America/Los_Angeles", Manager: "mia"},
		enginetest.Member{ID: "cy", Team: "support", TimeZone: "Europe/London", Manager: "mia"},
		enginetest.Member{ID: "fay", Team: "support", TimeZone: "Europe/Lisbon", Manager: "mia"},
		enginetest.Member{ID: "dan", Team: "sales", TimeZone: "Asia/Tokyo"},
	)
	for _, m := range []string{"ana", "bo", "cy", "dan", "fay"} {
		s.keys[m] = e.Key(t, tenant, auth.Member, m)
	}
	s.keys["mia"] = e.Key(t, tenant, auth.Manager, "mia")
	s.keys["zoe"] = e.Key(t, tenant, auth.Manager, "zoe")
	publisher := e.Key(t, tenant, auth.Publisher, "")

	s.give(t, "2026-11-03T10:00:00Z", "ana", []string{"bo", "cy"}, "ownership")
	s.give(t, "2026-11-23T07:30:00Z", "ana", []string{"bo"}, "craft")
	s.give(t, "2026-11-24T11:00:00Z", "bo", []string{"ana"}, "teamwork")
	s.clock.Set(at("2026-11-25T09:00:00Z"))
	e.Seed(t, s.admin, enginetest.Member{ID: "eve", Team: "support", TimeZone: "America/New_York", Manager: "mia"})
	k8 := s.give(t, "2026-11-25T10:00:00Z", "cy", []string{"bo"}, "craft")
	s.clock.Set(at("2026-11-25T11:00:00Z"))
	e.Do(t, "DELETE", "/v1/kudos/"+k8, s.keys["cy"], map[string]any{"reason": "meant for another Bo"}).Want(t, http.StatusCreated)
	s.give(t, "2026-11-26T09:00:00Z", "ana", []string{"fay"}, "craft")
	for _, r := range []struct{ agent, occurred, kudos string }{
		{"ana", "2026-11-27T08:00:00Z", "2026-11-27T08:02:00Z"},
		{"bo", "2026-11-28T10:00:00Z", "2026-11-28T10:00:45Z"},
	} {
		s.clock.Set(at(r.occurred).Add(10 * time.Second))
		id := e.Do(t, "POST", "/v1/ratings", publisher, map[string]any{
			"platform": "genesys", "interaction_id": "call-" + r.agent, "agent": r.agent, "score": 5, "scale": "stars_5",
			"channel": "voice", "handle_time_seconds": 300, "occurred_at": r.occurred,
		}).Want(t, http.StatusCreated).Str("id")
		s.ratingOf[r.agent] = id
		s.append(t, at(r.kudos), event.KudosGiven{
			Giver: "customer-genesys", Recipients: []string{r.agent}, Message: "A customer rated your call 5 stars",
			Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelRule,
			Cause: &event.Cause{EventID: id, Type: event.TypeRatingReceived}, Period: "day:" + r.kudos[:10], Spent: 0,
		})
	}
	s.clock.Set(at("2026-11-28T00:00:00Z"))
	e.Do(t, "DELETE", "/v1/members/fay", s.admin, nil).Want(t, http.StatusCreated)
	s.give(t, "2026-11-29T11:00:00Z", "dan", []string{"cy"}, "ownership", "teamwork")
	s.give(t, "2026-11-29T11:30:00Z", "cy", []string{"ana"}, "teamwork")
	s.give(t, "2026-11-29T13:00:00Z", "mia", []string{"bo"}, "craft")
	// Late: stored after everything above, with their own event times.
	s.clock.Set(now)
	s.append(t, at("2026-11-23T12:30:00Z"), event.KudosGiven{
		Giver: "bo", Recipients: []string{"cy"}, Message: "Thanks for the calm handover of the escalation queue",
		Values: []string{"craft"}, Points: 1, Visibility: event.Public, Channel: event.ChannelChat, Period: "day:2026-11-23", Spent: 1,
	})
	s.append(t, at("2026-10-30T12:00:00Z"), event.KudosGiven{
		Giver: "ana", Recipients: []string{"bo"}, Message: "Thanks for owning the October billing incident end to end",
		Values: []string{"ownership"}, Points: 1, Visibility: event.Public, Channel: event.ChannelChat, Period: "day:2026-10-30", Spent: 1,
	})
	e.CaughtUp(t, 10*time.Second)
	return s
}

// give gives kudos through the API at the given time and returns its id.
func (s *scenario) give(t *testing.T, when, from string, to []string, values ...string) string {
	t.Helper()
	s.clock.Set(at(when))
	return s.e.Do(t, "POST", "/v1/kudos", s.keys[from], map[string]any{
		"to": to, "values": values, "message": "Thanks for the careful work on the refund backlog this week",
	}).Want(t, http.StatusCreated).Str("id")
}

// append stores an event straight into the stream with its own time, as
// a late or system event arrives.
func (s *scenario) append(t *testing.T, when time.Time, d event.Data) {
	t.Helper()
	projtest.Append(t, s.e.Store, tenant, when, d)
}

func (s *scenario) get(t *testing.T, key, path string, q url.Values, v any) {
	t.Helper()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	s.e.Do(t, "GET", path, key, nil).Want(t, http.StatusOK).Decode(t, v)
}

func window(w string) url.Values { return url.Values{"window": {w}} }

func timePtr(s string) *time.Time { t := at(s); return &t }

// TestDensityScenario: every figure of the scenario, worked out by hand.
func TestDensityScenario(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	delays := apiv1.Timeliness{Count: 2, MedianSeconds: 82.5, P90Seconds: 120, MaxSeconds: 120}

	// Team support now: ana, bo, cy, eve (fay left).
	teams := map[string]apiv1.Figures{
		// After 23 Nov 12:00Z: ana K2 K6 K11 (givers bo, customer, cy),
		// bo K5 K3 (customer, mia), cy K9 K4 (bo, dan), eve nothing; K12
		// at 07:30 is out. Given: ana K7, bo K9 K2, cy K11.
		// Gini of 0 2 2 3: (2+2+3+0+1+1)/(4*7) = 9/28.
		"7d": {
			Members: 4, Received: 7, Given: 4, ReceivedPerMemberPerWeek: 1.75, GivenPerMemberPerWeek: 1,
			Recognised: 3, Reach: 0.75, DistinctGiversPerReceiver: 2.3333,
			Direction: apiv1.Direction{Peer: 3, Manager: 1, Customer: 2, CrossTeam: 1},
			Values:    map[string]int{"teamwork": 3, "craft": 2, "ownership": 1},
			Gini:      0.3214, Timeliness: delays,
		},
		// After 29 Nov 12:00Z: only K3 (bo, from mia). 1 moment for 4
		// members over a seventh of a week.
		"1d": {
			Members: 4, Received: 1, Given: 0, ReceivedPerMemberPerWeek: 1.75, GivenPerMemberPerWeek: 0,
			Recognised: 1, Reach: 0.25, DistinctGiversPerReceiver: 1,
			Direction: apiv1.Direction{Manager: 1}, Values: map[string]int{"craft": 1},
			Gini: 0.75, Timeliness: apiv1.Timeliness{},
		},
		// After 31 Oct 12:00Z: ana 3 (bo, customer, cy), bo K1 K12 K5 K3
		// (ana, customer, mia), cy K1 K9 K4 (ana, bo, dan); K10 is out.
		// Given: ana K1 x2, K12, K7; bo K9, K2; cy K11. Per member per
		// week: 10*7/(4*30) and 7*7/(4*30). Gini of 0 3 3 4: 12/40.
		"30d": {
			Members: 4, Received: 10, Given: 7, ReceivedPerMemberPerWeek: 0.5833, GivenPerMemberPerWeek: 0.4083,
			Recognised: 3, Reach: 0.75, DistinctGiversPerReceiver: 3,
			Direction: apiv1.Direction{Peer: 6, Manager: 1, Customer: 2, CrossTeam: 1},
			Values:    map[string]int{"teamwork": 3, "ownership": 3, "craft": 3},
			Gini:      0.3, Timeliness: delays,
		},
	}
	for w, want := range teams {
		var got apiv1.TeamDensity
		s.get(t, s.admin, "/v1/teams/support/density", window(w), &got)
		if !reflect.DeepEqual(got.Figures, want) {
			t.Errorf("support, %s:\n got %+v\nwant %+v", w, got.Figures, want)
		}
		if got.Team != "support" || got.Window != w || !got.To.Equal(now) || got.From == nil {
			t.Errorf("support, %s: span %+v", w, got.Span)
		}
	}

	// Calendar week 2026-W48 in each member's zone. ana (UTC+13) runs
	// 22 Nov 11:00Z to 29 Nov 11:00Z: K11 is her Monday; bo (UTC-8) 23 Nov
	// 08:00Z to 30 Nov 08:00Z: K12 is his Sunday. Given: ana K12 (her
	// Monday evening) and K7, bo K9 K2, cy K11 (his Sunday).
	var week apiv1.TeamDensity
	s.get(t, s.admin, "/v1/teams/support/density", url.Values{"window": {"week"}, "week": {"2026-W48"}}, &week)
	wantWeek := apiv1.Figures{
		Members: 4, Received: 6, Given: 5, ReceivedPerMemberPerWeek: 1.5, GivenPerMemberPerWeek: 1.25,
		Recognised: 3, Reach: 0.75, DistinctGiversPerReceiver: 2,
		Direction: apiv1.Direction{Peer: 2, Manager: 1, Customer: 2, CrossTeam: 1},
		Values:    map[string]int{"teamwork": 2, "craft": 2, "ownership": 1},
		Gini:      0.25, Timeliness: delays,
	}
	if !reflect.DeepEqual(week.Figures, wantWeek) || week.Week != "2026-W48" {
		t.Errorf("support, week 2026-W48 (%s):\n got %+v\nwant %+v", week.Week, week.Figures, wantWeek)
	}

	// The tenant over 7 days: support as above, leads (mia gave K3, zoe
	// nothing), sales (dan gave K4). Gini of 0 0 0 0 2 2 3: 30/49.
	var tenantFigures apiv1.TenantDensity
	s.get(t, s.admin, "/v1/density", window("7d"), &tenantFigures)
	wantTenant := apiv1.Figures{
		Members: 7, Received: 7, Given: 6, ReceivedPerMemberPerWeek: 1, GivenPerMemberPerWeek: 0.8571,
		Recognised: 3, Reach: 0.4286, DistinctGiversPerReceiver: 2.3333,
		Direction: apiv1.Direction{Peer: 3, Manager: 1, Customer: 2, CrossTeam: 1},
		Values:    map[string]int{"teamwork": 3, "craft": 2, "ownership": 1},
		Gini:      0.6122, Timeliness: delays,
	}
	if !reflect.DeepEqual(tenantFigures.Figures, wantTenant) {
		t.Errorf("tenant, 7d:\n got %+v\nwant %+v", tenantFigures.Figures, wantTenant)
	}
	var names []string
	for _, tm := range tenantFigures.Teams {
		names = append(names, tm.Team)
	}
	if !reflect.DeepEqual(names, []string{"leads", "sales", "support"}) {
		t.Fatalf("tenant teams %v", names)
	}
	leads := apiv1.Figures{Members: 2, Given: 1, GivenPerMemberPerWeek: 0.5, Values: map[string]int{}}
	if got := tenantFigures.Teams[0].Figures; !reflect.DeepEqual(got, leads) {
		t.Errorf("leads, 7d: got %+v, want %+v", got, leads)
	}
	if got := tenantFigures.Teams[2].Figures; !reflect.DeepEqual(got, teams["7d"]) {
		t.Errorf("support in the tenant's figures: got %+v, want %+v", got, teams["7d"])
	}

	// bo over 7 days: K5 (customer, 45 s after the rating) and K3 (mia);
	// he gave K9 and K2.
	var bo apiv1.MemberDensity
	s.get(t, s.keys["bo"], "/v1/members/bo/density", window("7d"), &bo)
	wantBo := apiv1.MemberDensity{
		Member: "bo", Team: "support", TimeZone: "America/Los_Angeles", Span: bo.Span,
		Received: 2, Given: 2, ReceivedPerWeek: 2, GivenPerWeek: 2, DistinctGivers: 2,
		Direction: apiv1.Direction{Manager: 1, Customer: 1}, Values: map[string]int{"craft": 1},
		Timeliness:       apiv1.Timeliness{Count: 1, MedianSeconds: 45, P90Seconds: 45, MaxSeconds: 45},
		LastRecognisedAt: timePtr("2026-11-29T13:00:00Z"),
	}
	if !reflect.DeepEqual(bo, wantBo) {
		t.Errorf("bo, 7d:\n got %+v\nwant %+v", bo, wantBo)
	}

	// Gaps. Over 14 days nobody in support: ana, bo and cy were
	// recognised, eve joined 5 days ago, fay left. Over 1 day (since 29
	// Nov 12:00Z): ana (last 11:30) and cy (11:00), a day each, and eve,
	// never, 5 days and 3 hours after joining. dan, never recognised,
	// joined on 1 October: 60 days.
	for _, c := range []struct {
		team string
		days string
		want []apiv1.Gap
	}{
		{"support", "", []apiv1.Gap{}},
		{"support", "1", []apiv1.Gap{
			{Member: "ana", LastRecognisedAt: timePtr("2026-11-29T11:30:00Z"), DaysWithout: 1},
			{Member: "cy", LastRecognisedAt: timePtr("2026-11-29T11:00:00Z"), DaysWithout: 1},
			{Member: "eve", DaysWithout: 5},
		}},
		{"sales", "14", []apiv1.Gap{{Member: "dan", DaysWithout: 60}}},
	} {
		q := url.Values{}
		if c.days != "" {
			q.Set("days", c.days)
		}
		var got apiv1.Gaps
		s.get(t, s.admin, "/v1/teams/"+c.team+"/gaps", q, &got)
		if !reflect.DeepEqual(got.Members, c.want) || !got.AsOf.Equal(now) {
			t.Errorf("gaps of %s over %q days:\n got %+v\nwant %+v", c.team, c.days, got.Members, c.want)
		}
	}
}

// TestDensityAccess: member-level figures are for the member, the managers
// above them, admins and analysts; a team's totals also for its members;
// the tenant's for admins and analysts; another tenant sees nothing.
func TestDensityAccess(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	analyst := s.e.Key(t, tenant, auth.Analyst, "")
	integration := s.e.Key(t, tenant, auth.Integration, "")
	other := s.e.Key(t, "globex", auth.Admin, "")
	for _, c := range []struct {
		who, key, path string
		want           int
	}{
		{"admin", s.admin, "/v1/density", 200},
		{"analyst", analyst, "/v1/density", 200},
		{"manager", s.keys["mia"], "/v1/density", 403},
		{"member", s.keys["ana"], "/v1/density", 403},
		{"integration", integration, "/v1/density", 403},

		{"a member of the team", s.keys["ana"], "/v1/teams/support/density", 200},
		{"a member of another team", s.keys["dan"], "/v1/teams/support/density", 403},
		{"the team's manager", s.keys["mia"], "/v1/teams/support/density", 200},
		{"the manager above", s.keys["zoe"], "/v1/teams/support/density", 200},
		{"a manager of no one on it", s.keys["mia"], "/v1/teams/sales/density", 403},
		{"analyst", analyst, "/v1/teams/sales/density", 200},
		{"integration", integration, "/v1/teams/sales/density", 403},

		{"the member", s.keys["bo"], "/v1/members/bo/density", 200},
		{"a teammate", s.keys["ana"], "/v1/members/bo/density", 403},
		{"their manager", s.keys["mia"], "/v1/members/bo/density", 200},
		{"the manager above", s.keys["zoe"], "/v1/members/bo/density", 200},
		{"a manager elsewhere", s.keys["zoe"], "/v1/members/dan/density", 403},
		{"integration", integration, "/v1/members/bo/density", 403},

		{"the team's manager", s.keys["mia"], "/v1/teams/support/gaps", 200},
		{"a member of the team", s.keys["ana"], "/v1/teams/support/gaps", 403},
		{"analyst", analyst, "/v1/teams/support/gaps", 200},

		{"another tenant's admin", other, "/v1/teams/support/density", 404},
		{"another tenant's admin", other, "/v1/members/bo/density", 404},
		{"another tenant's admin", other, "/v1/teams/support/gaps", 404},
		{"a member who left", s.admin, "/v1/members/fay/density", 404},
	} {
		if got := s.e.Do(t, "GET", c.path, c.key, nil); got.Status != c.want {
			t.Errorf("%s: GET %s = %s, want %d", c.who, c.path, got, c.want)
		}
	}
	var tenantFigures apiv1.TenantDensity
	s.get(t, other, "/v1/density", nil, &tenantFigures)
	if tenantFigures.Members != 0 || len(tenantFigures.Teams) != 0 {
		t.Errorf("another tenant's admin sees acme's figures: %+v", tenantFigures)
	}
	// A manager sees the gaps of the people they manage only: zoe, of team
	// leads, manages mia, not herself.
	for key, want := range map[string][]string{s.admin: {"mia", "zoe"}, s.keys["zoe"]: {"mia"}} {
		var gaps apiv1.Gaps
		s.get(t, key, "/v1/teams/leads/gaps", nil, &gaps)
		var got []string
		for _, g := range gaps.Members {
			got = append(got, g.Member)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("gaps of leads: %v, want %v", got, want)
		}
	}
}

// TestDensityBadQueries: bad windows, weeks and days name their field and
// change nothing.
func TestDensityBadQueries(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	for _, c := range []struct{ path, field string }{
		{"/v1/teams/support/density?window=2d", "window"},
		{"/v1/teams/support/density?window=week&week=2026-48", "week"},
		{"/v1/teams/support/density?window=week&week=2025-W53", "week"},
		{"/v1/teams/support/density?window=7d&week=2026-W48", "week"},
		{"/v1/density?window=forever", "window"},
		{"/v1/members/bo/density?window=0", "window"},
		{"/v1/teams/support/gaps?days=0", "days"},
		{"/v1/teams/support/gaps?days=366", "days"},
		{"/v1/teams/support/gaps?days=two", "days"},
		{"/v1/teams/support/density?min_seq=x", "min_seq"},
	} {
		s.e.Do(t, "GET", c.path, s.admin, nil).WantProblem(t, http.StatusBadRequest, c.field)
	}
	s.e.Do(t, "GET", "/v1/teams/nobody/density", s.admin, nil).WantProblem(t, http.StatusNotFound, "")
}

// TestThisWeekIsEachMembersOwn: the current calendar week is the one that
// holds now where each member is, not in UTC.
func TestThisWeekIsEachMembersOwn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		now, zone, monday string
	}{
		// Monday 02:00 UTC is still Sunday in Los Angeles: their week began
		// on the Monday before.
		{"2026-11-30T02:00:00Z", "America/Los_Angeles", "2026-11-23T08:00:00Z"},
		// Sunday 12:00 UTC is Monday 01:00 in Auckland: a new week there.
		{"2026-11-29T12:00:00Z", "Pacific/Auckland", "2026-11-29T11:00:00Z"},
		{"2026-11-29T12:00:00Z", "Europe/London", "2026-11-23T00:00:00Z"},
	} {
		span, err := density.NewSpan(density.WindowWeek, "", at(c.now))
		if err != nil {
			t.Fatal(err)
		}
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := density.Bounds(span, loc)
		if !lo.Equal(at(c.monday)) || !hi.Equal(at(c.now).Add(time.Millisecond)) || span.Week != "" {
			t.Errorf("this week at %s in %s: [%s, %s) %q, want from %s to now", c.now, c.zone, lo, hi, span.Week, c.monday)
		}
	}
}

// TestFiguresAgreeAtTheEdges: the HTTP queries answer as reading the
// store directly does, when a window starts or ends within the millisecond
// of a moment (the store keys them by the millisecond) and for calendar
// weeks long past. Each is asked twice.
func TestFiguresAgreeAtTheEdges(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	r := s.e.Runners[density.Name]
	k3 := at("2026-11-29T13:00:00Z") // mia to bo
	half := 500 * time.Microsecond
	for _, now := range []time.Time{
		k3.Add(-half), k3.Add(half), // K3 just after, just before the window's end
		k3.Add(24*time.Hour - half), k3.Add(24*time.Hour + half), // a day on: the 1d window's start
		k3.Add(7*24*time.Hour + half),
	} {
		s.clock.Set(now)
		for _, c := range []struct {
			path  string
			q     url.Values
			store func(rd *projector.Reader) (any, error)
		}{
			{"/v1/members/bo/density", window("1d"), func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tenant, "bo", span(t, "1d", "", now))
			}},
			{"/v1/members/bo/density", window("7d"), func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tenant, "bo", span(t, "7d", "", now))
			}},
			{"/v1/teams/support/density", window("1d"), func(rd *projector.Reader) (any, error) {
				return density.Team(rd, tenant, "support", span(t, "1d", "", now))
			}},
			{"/v1/teams/support/gaps", url.Values{"days": {"1"}}, func(rd *projector.Reader) (any, error) {
				return density.TeamGaps(rd, tenant, "support", 1, now)
			}},
			{"/v1/teams/support/density", url.Values{"window": {"week"}, "week": {"2026-W44"}}, func(rd *projector.Reader) (any, error) {
				return density.Team(rd, tenant, "support", span(t, "week", "2026-W44", now))
			}},
			{"/v1/members/bo/density", url.Values{"window": {"week"}, "week": {"2026-W44"}}, func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tenant, "bo", span(t, "week", "2026-W44", now))
			}},
			{"/v1/members/bo/density", url.Values{"window": {"week"}, "week": {"2025-W44"}}, func(rd *projector.Reader) (any, error) {
				return density.Member(rd, tenant, "bo", span(t, "week", "2025-W44", now))
			}},
		} {
			var want []byte
			if err := r.View(func(rd *projector.Reader) error {
				v, err := c.store(rd)
				if err == nil {
					want, err = json.Marshal(v)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				got := s.e.Do(t, "GET", c.path+"?"+c.q.Encode(), s.admin, nil).Want(t, http.StatusOK).Body
				if !bytes.Equal(got, want) {
					t.Errorf("%s?%s at %s, asked %d times:\n got %s\nwant %s", c.path, c.q.Encode(), now.Format(time.RFC3339Nano), i+1, got, want)
				}
			}
		}
	}
}

func span(t *testing.T, window, week string, now time.Time) density.Span {
	t.Helper()
	s, err := density.NewSpan(window, week, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUnreadableMomentsFailTheirQueries: a moment the store holds but the
// read side cannot decode fails the figures that need it, with a 500,
// the first time and after; figures that do not need it are answered.
func TestUnreadableMomentsFailTheirQueries(t *testing.T) {
	t.Parallel()
	clock := enginetest.NewClock(at("2026-11-30T08:00:00Z"))
	mod := density.CorruptingModule()
	e := enginetest.Start(t, engine.Config{Now: clock.Now, Modules: []projector.Module{mod}})
	admin := e.Key(t, tenant, auth.Admin, "")
	e.Seed(t, admin,
		enginetest.Member{ID: "ana", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "bo", Team: "support", TimeZone: "Europe/Lisbon"},
		enginetest.Member{ID: "dan", Team: "sales", TimeZone: "Asia/Tokyo"},
	)
	give := func(from, to, message string) {
		e.Do(t, "POST", "/v1/kudos", e.Key(t, tenant, auth.Member, from), map[string]any{
			"to": []string{to}, "message": message,
		}).Want(t, http.StatusCreated)
	}
	give("ana", "bo", density.CorruptMessage)
	give("bo", "dan", "Thanks for the careful work on the refund backlog this week")
	e.CaughtUp(t, 10*time.Second)

	for range 2 { // the second time, nothing may come from the cache
		for _, path := range []string{"/v1/members/bo/density", "/v1/teams/support/density", "/v1/density"} {
			e.Do(t, "GET", path+"?window=7d", admin, nil).Want(t, http.StatusInternalServerError)
		}
		var dan struct {
			Received int `json:"received"`
		}
		e.Do(t, "GET", "/v1/members/dan/density?window=7d", admin, nil).Want(t, http.StatusOK).Decode(t, &dan)
		if dan.Received != 1 {
			t.Errorf("dan's moments received: %d, want 1", dan.Received)
		}
	}
}
