package density

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Windows. The rolling ones end now and reach back 1, 7 or 30 days: a
// moment counts when it happened after now minus the window and not after
// now. WindowWeek is the calendar week (Monday to Sunday) that holds now,
// in each member's time zone, up to now; Week names a past one.
const (
	Window1d   = "1d"
	Window7d   = "7d"
	Window30d  = "30d"
	WindowWeek = "week"
)

var rolling = map[string]time.Duration{Window1d: 24 * time.Hour, Window7d: 7 * 24 * time.Hour, Window30d: 30 * 24 * time.Hour}

// Span is the time a figure covers: the apiv1.Span the answers state, and
// the calendar week asked for, by which the queries read.
type Span struct {
	apiv1.Span
	year, week int // the week asked for; 0: the one that holds now, member by member
}

// ErrBadQuery names what is wrong with a query, as "field: reason".
type ErrBadQuery struct{ Field, Reason string }

func (e *ErrBadQuery) Error() string { return e.Field + " " + e.Reason }

// NewSpan is the span of window at now; week, for WindowWeek, names an ISO
// week ("2026-W48"; empty: the one that holds now).
func NewSpan(window, week string, now time.Time) (Span, error) {
	now = now.UTC()
	if window == "" {
		window = Window7d
	}
	s := Span{Span: apiv1.Span{Window: window, To: now}}
	if d, ok := rolling[window]; ok {
		if week != "" {
			return Span{}, &ErrBadQuery{"week", "applies only to window=week"}
		}
		from := now.Add(-d)
		s.From = &from
		return s, nil
	}
	if window != WindowWeek {
		return Span{}, &ErrBadQuery{"window", "must be 1d, 7d, 30d or week"}
	}
	if week != "" {
		y, w, ok := parseWeek(week)
		if !ok {
			return Span{}, &ErrBadQuery{"week", "must be an ISO week such as 2026-W48"}
		}
		s.year, s.week = y, w
		s.Week = fmt.Sprintf("%04d-W%02d", s.year, s.week)
	}
	return s, nil
}

func parseWeek(s string) (year, week int, ok bool) {
	y, w, found := strings.Cut(s, "-W")
	if !found || len(y) != 4 || len(w) != 2 {
		return 0, 0, false
	}
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || week < 1 || week > 53 {
		return 0, 0, false
	}
	// Week 53 exists only in some years: its Monday must lie in it.
	if _, wk := weekMonday(year, week, time.UTC).ISOWeek(); wk != week {
		return 0, 0, false
	}
	return year, week, true
}

// weekMonday is the start of ISO week (year, week) in loc.
func weekMonday(year, week int, loc *time.Location) time.Time {
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, loc) // always in week 1
	offset := (int(jan4.Weekday()) + 6) % 7        // days since Monday
	return time.Date(year, 1, 4-offset+7*(week-1), 0, 0, 0, 0, loc)
}

// bounds is the span for a member in zone loc, as [lo, hi) in time.
func (s Span) bounds(loc *time.Location) (lo, hi time.Time) {
	end := s.To.Add(time.Millisecond) // up to now, now included
	if s.From != nil {
		return s.From.Add(time.Millisecond), end
	}
	year, week := s.year, s.week
	if week == 0 { // this week, where the member is
		year, week = s.To.In(loc).ISOWeek()
	}
	lo = weekMonday(year, week, loc)
	hi = lo.AddDate(0, 0, 7)
	if hi.After(end) {
		hi = end
	}
	return lo, hi
}

// weeks is how many weeks the span counts for, to state figures per week:
// a calendar week is one, even while it runs.
func (s Span) weeks() float64 {
	if d, ok := rolling[s.Window]; ok {
		return d.Hours() / (7 * 24)
	}
	return 1
}

// addDirection counts a moment of direction dir (see the constants) in d.
func addDirection(d *apiv1.Direction, dir int) {
	switch dir {
	case FromManager:
		d.Manager++
	case FromCustomer:
		d.Customer++
	case CrossTeam:
		d.CrossTeam++
	default:
		d.Peer++
	}
}

// memberFigures are one member's figures over a span.
type memberFigures struct {
	received, given int
	givers          map[string]bool
	direction       apiv1.Direction
	values          map[string]int
	delays          []time.Duration
}

// ErrNotFound is returned when the tenant has no such member or team.
var ErrNotFound = fmt.Errorf("density: not found")

// reader reads the store for one query.
type reader struct {
	rd     *projector.Reader
	tenant string
	// now is the query's time.
	now time.Time
}

func (r reader) member(id string) (member, bool, error) {
	raw := r.rd.Get(bMembers, key(r.tenant, id))
	if raw == nil {
		return member{}, false, nil
	}
	var m member
	if err := json.Unmarshal(raw, &m); err != nil {
		return member{}, false, fmt.Errorf("density: member %s: %w", id, err)
	}
	return m, true, nil
}

// roster calls fn with each member on team (every team when team is
// empty) now, active or not, in order of team and member.
func (r reader) roster(team string, fn func(team, id string, m member) bool) error {
	prefix := key(r.tenant, "")
	if team != "" {
		prefix = key(r.tenant, team, "")
	}
	var err error
	r.rd.Ascend(bRoster, prefix, func(k, v []byte) bool {
		t, id, ok := bytes.Cut(k[len(r.tenant)+1:], []byte{0})
		if !ok {
			return true
		}
		var m member
		if err = json.Unmarshal(v, &m); err != nil {
			err = fmt.Errorf("density: member %s: %w", id, err)
			return false
		}
		return fn(string(t), string(id), m)
	})
	return err
}

// figures reads member id's moments over [lo, hi).
func (r reader) figures(id string, lo, hi time.Time) (memberFigures, error) {
	f := memberFigures{givers: map[string]bool{}, values: map[string]int{}}
	err := r.moments(id, lo, hi, func(_ time.Time, mo moment) { f.addReceived(mo) }, func(_ time.Time, n int) { f.given += n })
	return f, err
}

func (f *memberFigures) addReceived(mo moment) {
	f.received++
	f.givers[mo.Giver] = true
	addDirection(&f.direction, mo.Direction)
	for _, val := range mo.Values {
		f.values[val]++
	}
	if mo.HasDelay {
		f.delays = append(f.delays, mo.Delay)
	}
}

// moments calls received and given with member id's moments over [lo, hi)
// (to the last of them when hi is zero), in time order, from the store.
func (r reader) moments(id string, lo, hi time.Time, received func(time.Time, moment), given func(time.Time, int)) error {
	prefix := key(r.tenant, id, "")
	from, to := timeKey(bytes.Clone(prefix), lo), timeKey(bytes.Clone(prefix), hi)
	if hi.IsZero() {
		to = append(key(r.tenant, id), 1) // past every time of the member
	}
	var err error
	r.rd.AscendRange(bReceived, from, to, func(k, v []byte) bool {
		var mo moment
		if mo, err = decodeMoment(v); err != nil {
			return false
		}
		received(timeOfKey(k[len(prefix):]), mo)
		return true
	})
	if err != nil {
		return err
	}
	r.rd.AscendRange(bGiven, from, to, func(k, v []byte) bool {
		n, l := binary.Uvarint(v)
		if l <= 0 {
			err = errCorrupt
			return false
		}
		given(timeOfKey(k[len(prefix):]), int(n))
		return true
	})
	return err
}

// lastRecognised is member id's newest moment received before hi.
func (r reader) lastRecognised(id string, hi time.Time) *time.Time {
	prefix := key(r.tenant, id, "")
	var last *time.Time
	r.rd.Descend(bReceived, prefix, timeKey(bytes.Clone(prefix), hi), func(k, _ []byte) bool {
		t := timeOfKey(k[len(prefix):])
		last = &t
		return false
	})
	return last
}

// group sums members' figures.
type group struct {
	span    Span
	members []memberFigures
}

func (g group) figures() apiv1.Figures {
	f := apiv1.Figures{Members: len(g.members), Values: map[string]int{}}
	var delays []time.Duration
	givers := 0
	counts := make([]int, 0, len(g.members))
	for _, m := range g.members {
		f.Received += m.received
		f.Given += m.given
		if m.received > 0 {
			f.Recognised++
			givers += len(m.givers)
		}
		f.Direction.Peer += m.direction.Peer
		f.Direction.Manager += m.direction.Manager
		f.Direction.Customer += m.direction.Customer
		f.Direction.CrossTeam += m.direction.CrossTeam
		for v, n := range m.values {
			f.Values[v] += n
		}
		delays = append(delays, m.delays...)
		counts = append(counts, m.received)
	}
	if f.Members > 0 {
		perWeek := float64(f.Members) * g.span.weeks()
		f.ReceivedPerMemberPerWeek = round(float64(f.Received) / perWeek)
		f.GivenPerMemberPerWeek = round(float64(f.Given) / perWeek)
		f.Reach = round(float64(f.Recognised) / float64(f.Members))
	}
	if f.Recognised > 0 {
		f.DistinctGiversPerReceiver = round(float64(givers) / float64(f.Recognised))
	}
	f.Gini = round(gini(counts))
	f.Timeliness = timeliness(delays)
	return f
}

// gini is the Gini coefficient of xs: the mean absolute difference of all
// pairs over twice the mean, 0 for no one or nothing.
func gini(xs []int) float64 {
	n, sum := len(xs), 0
	for _, x := range xs {
		sum += x
	}
	if n == 0 || sum == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	// Σ_i Σ_j |x_i - x_j| = 2 Σ_i (2i - n + 1) x_(i), sorted ascending.
	diff := 0
	for i, x := range s {
		diff += (2*i - n + 1) * x
	}
	return float64(2*diff) / float64(2*n*sum)
}

func timeliness(delays []time.Duration) apiv1.Timeliness {
	t := apiv1.Timeliness{Count: len(delays)}
	if len(delays) == 0 {
		return t
	}
	slices.Sort(delays)
	sec := func(d time.Duration) float64 { return round(d.Seconds()) }
	n := len(delays)
	if n%2 == 1 {
		t.MedianSeconds = sec(delays[n/2])
	} else {
		t.MedianSeconds = sec((delays[n/2-1] + delays[n/2]) / 2)
	}
	t.P90Seconds = sec(delays[int(math.Ceil(0.9*float64(n)))-1]) // nearest rank
	t.MaxSeconds = sec(delays[n-1])
	return t
}

// round keeps four decimals.
func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// zones caches loaded time zones.
var zones sync.Map

func location(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(name, loc)
	return loc
}

// activeFigures reads the figures of each counted member of team (every
// team when empty), by team; a team with members, none counted, is there
// with none.
func (r reader) activeFigures(team string, span Span) (map[string][]memberFigures, error) {
	out := map[string][]memberFigures{}
	var ferr error
	err := r.roster(team, func(t, id string, m member) bool {
		if !m.counted() {
			if _, ok := out[t]; !ok {
				out[t] = nil // the team is there, with no one counted yet
			}
			return true
		}
		lo, hi := span.bounds(location(m.TimeZone))
		var f memberFigures
		if f, ferr = r.figures(id, lo, hi); ferr != nil {
			return false
		}
		out[t] = append(out[t], f)
		return true
	})
	return out, errors.Join(err, ferr)
}

// Team reads a team's figures. A team nobody is on is not found.
func Team(rd *projector.Reader, tenant, team string, span Span) (apiv1.TeamDensity, error) {
	return reader{rd: rd, tenant: tenant}.team(team, span)
}

func (r reader) team(team string, span Span) (apiv1.TeamDensity, error) {
	by, err := r.activeFigures(team, span)
	if err != nil {
		return apiv1.TeamDensity{}, err
	}
	members, found := by[team]
	if !found {
		return apiv1.TeamDensity{}, ErrNotFound
	}
	return apiv1.TeamDensity{Team: team, Span: span.Span, Figures: group{span, members}.figures()}, nil
}

// Tenant reads the tenant's figures and each team's, teams in order.
func Tenant(rd *projector.Reader, tenant string, span Span) (apiv1.TenantDensity, error) {
	return reader{rd: rd, tenant: tenant}.tenantFigures(span)
}

func (r reader) tenantFigures(span Span) (apiv1.TenantDensity, error) {
	by, err := r.activeFigures("", span)
	if err != nil {
		return apiv1.TenantDensity{}, err
	}
	out := apiv1.TenantDensity{Span: span.Span, Teams: []apiv1.TeamDensity{}}
	var all []memberFigures
	teams := make([]string, 0, len(by))
	for t := range by {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, t := range teams {
		all = append(all, by[t]...)
		out.Teams = append(out.Teams, apiv1.TeamDensity{Team: t, Span: span.Span, Figures: group{span, by[t]}.figures()})
	}
	out.Figures = group{span, all}.figures()
	return out, nil
}

// Member reads one member's figures; a member who left is not found.
func Member(rd *projector.Reader, tenant, id string, span Span) (apiv1.MemberDensity, error) {
	return reader{rd: rd, tenant: tenant}.memberFigures(id, span)
}

func (r reader) memberFigures(id string, span Span) (apiv1.MemberDensity, error) {
	m, ok, err := r.member(id)
	if err != nil {
		return apiv1.MemberDensity{}, err
	}
	if !ok || m.Left {
		return apiv1.MemberDensity{}, ErrNotFound
	}
	lo, hi := span.bounds(location(m.TimeZone))
	f, err := r.figures(id, lo, hi)
	if err != nil {
		return apiv1.MemberDensity{}, err
	}
	weeks := span.weeks()
	return apiv1.MemberDensity{
		Member: id, Team: m.Team, TimeZone: m.TimeZone, Span: span.Span,
		Received: f.received, Given: f.given,
		ReceivedPerWeek: round(float64(f.received) / weeks), GivenPerWeek: round(float64(f.given) / weeks),
		DistinctGivers: len(f.givers), Direction: f.direction, Values: f.values,
		Timeliness:       timeliness(f.delays),
		LastRecognisedAt: r.lastRecognised(id, span.To.Add(time.Millisecond)),
	}, nil
}

// DefaultGapDays is how long without recognition puts a member in the gap
// list when the query does not say.
const DefaultGapDays = 14

// MaxGapDays bounds the days a gap query may ask for.
const MaxGapDays = 365

// TeamGaps lists the team's active members who joined at least days ago
// and received no recognition in the last days days, by member id.
func TeamGaps(rd *projector.Reader, tenant, team string, days int, now time.Time) (apiv1.Gaps, error) {
	return reader{rd: rd, tenant: tenant}.gaps(team, days, now)
}

func (r reader) gaps(team string, days int, now time.Time) (apiv1.Gaps, error) {
	if days < 1 || days > MaxGapDays {
		return apiv1.Gaps{}, &ErrBadQuery{"days", fmt.Sprintf("must be a number of days from 1 to %d", MaxGapDays)}
	}
	now = now.UTC()
	out := apiv1.Gaps{Team: team, Days: days, AsOf: now, Members: []apiv1.Gap{}}
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	found := false
	err := r.roster(team, func(_, id string, m member) bool {
		found = true
		if !m.counted() || m.Joined.After(since) {
			return true
		}
		last := r.lastRecognised(id, now.Add(time.Millisecond))
		from := m.Joined
		if last != nil {
			if last.After(since) {
				return true
			}
			from = *last
		}
		out.Members = append(out.Members, apiv1.Gap{Member: id, LastRecognisedAt: last, DaysWithout: int(now.Sub(from) / (24 * time.Hour))})
		return true
	})
	if err != nil {
		return apiv1.Gaps{}, err
	}
	if !found {
		return apiv1.Gaps{}, ErrNotFound
	}
	return out, nil
}
