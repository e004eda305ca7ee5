package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
	"github.com/plaudit/plaudit/projections/analytics"
	"github.com/plaudit/plaudit/projections/internal/projtest"
	chschema "github.com/plaudit/plaudit/schemas/clickhouse"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopClickHouse()
	os.Exit(code)
}

func open(t testing.TB, dsn string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// ownClickHouse starts a ClickHouse server of the test's own, one it may
// stop and start, with a database named name, and returns the server, the
// database and its DSN.
func ownClickHouse(t *testing.T, name string) (srv *testenv.ClickHouseServer, db, dsn string) {
	t.Helper()
	srv = testenv.NewClickHouse(t)
	db, err := srv.CreateDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	return srv, db, srv.DSN(db)
}

// TestMigrations: migrations apply once, are recorded, and a second run
// applies nothing; the newer servers' types render where they exist.
func TestMigrations(t *testing.T) {
	t.Parallel()
	conn := open(t, testenv.ClickHouse(t))
	ctx := context.Background()
	ms, err := chschema.Migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations %v, %v", ms, err)
	}
	applied, err := chschema.Migrate(ctx, conn)
	if err != nil || len(applied) != len(ms) {
		t.Fatalf("first run applied %v, %v; want all %d", applied, err, len(ms))
	}
	again, err := chschema.Migrate(ctx, conn)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run applied %v, %v; want none", again, err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+chschema.MigrationsTable).Scan(&n); err != nil || int(n) != len(ms) {
		t.Errorf("%d migrations recorded (%v), want %d", n, err, len(ms))
	}
	for _, table := range append(analytics.Tables(), "ratings_current", "nudge_outcomes", "kudos_daily", "kudos_live", "weekly_density_by_team", "recognition_gaps", "rating_conversion") {
		if err := conn.Exec(ctx, "SELECT * FROM "+table+" LIMIT 0"); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	old := chschema.Render("x {{lowcard}} {{datetime}}", chschema.Version{Major: 18, Minor: 16})
	modern := chschema.Render("x {{lowcard}} {{datetime}}", chschema.Version{Major: 24, Minor: 8})
	if old != "x String DateTime('UTC')" || modern != "x LowCardinality(String) DateTime64(3, 'UTC')" {
		t.Errorf("rendered %q and %q", old, modern)
	}
	// A database that a newer Plaudit migrated is refused.
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+chschema.MigrationsTable+" (version, name, checksum, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(9999), "future", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	if _, err := chschema.Migrate(ctx, conn); err == nil || !strings.Contains(err.Error(), "9999") {
		t.Errorf("a database with an unknown migration: %v", err)
	}
}

// startEngine starts an engine writing analytics to dsn.
func startEngine(t *testing.T, dsn string, now func() time.Time) *enginetest.Engine {
	t.Helper()
	return startIn(t, "", dsn, now)
}

// restartable is an engine writing analytics to dsn on a data directory
// that outlives it and a clock at 2 November 2026, 08:00 UTC: start starts
// it, again after a stop as plauditd restarted.
func restartable(t *testing.T, dsn string) (clock *enginetest.Clock, start func() *enginetest.Engine) {
	dataDir := t.TempDir()
	clock = enginetest.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	return clock, func() *enginetest.Engine { return startIn(t, dataDir, dsn, clock.Now) }
}

// startIn starts an engine on data dir dir (a new one when empty) writing
// analytics to dsn.
func startIn(t *testing.T, dir, dsn string, now func() time.Time) *enginetest.Engine {
	t.Helper()
	return enginetest.Start(t, engine.Config{DataDir: dir, Now: now, Components: map[string]engine.NewComponent{
		analytics.Name: func(d engine.ComponentDeps) (engine.Component, error) {
			return analytics.New(analytics.Config{Stream: d.Store, DSN: dsn, Logger: d.Logger, Metrics: analytics.NewMetrics(d.Metrics),
				BatchWait: 100 * time.Millisecond})
		},
	}})
}

func projectorOf(t *testing.T, e *enginetest.Engine) *analytics.Projector {
	t.Helper()
	return e.Components[analytics.Name].(*analytics.Projector)
}

// caughtUp waits until p has inserted the stream up to its last event.
func caughtUp(t *testing.T, e *enginetest.Engine, p *analytics.Projector, timeout time.Duration) {
	t.Helper()
	last := e.StreamLastSeq(t)
	deadline := time.Now().Add(timeout)
	for p.LastSeq() < last {
		if time.Now().After(deadline) {
			t.Fatalf("analytics at %d, stream at %d after %s (ready: %v)", p.LastSeq(), last, timeout, p.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workload appends a random mix through the write side: members joining,
// moving and leaving, kudos, reactions, retractions, ratings and kudos
// caused by ratings, in two tenants.
func workload(t *testing.T, e *enginetest.Engine, clock *enginetest.Clock, n int, seed int64) {
	t.Helper()
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(seed))
	teams := []string{"support", "sales", "ops"}
	members := map[string][]string{}
	var kudos []struct{ tenant, id, giver string }
	upsert := func(tn, id string) {
		_, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: tn, MemberUpserted: event.MemberUpserted{
			Member: id, Name: "Member " + id, Team: teams[rnd.Intn(len(teams))], TimeZone: "Europe/Lisbon", Active: true}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tn := range []string{"acme", "globex"} {
		for i := range 8 {
			id := fmt.Sprintf("m%d", i)
			members[tn] = append(members[tn], id)
			upsert(tn, id)
		}
		nudges := event.DefaultPolicy().Nudges
		nudges.Wellness, nudges.DailyCap = event.OptOut, 20
		nudges.QuietHours.End = nudges.QuietHours.Start // none
		if _, err := e.Command.SetPolicy(ctx, command.SetPolicy{Tenant: tn, PolicySet: event.PolicySet{
			Allowance: event.Allowance{Amount: 1000, Period: event.PeriodDay}, Values: []string{"craft", "care"},
			MessageRules: event.MessageRules{MinLength: 10}, Nudges: nudges}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		clock.Advance(time.Duration(rnd.Intn(600)) * time.Second)
		tn := []string{"acme", "acme", "globex"}[rnd.Intn(3)]
		ms := members[tn]
		switch r := rnd.Intn(100); {
		case r < 55:
			giver := ms[rnd.Intn(len(ms))]
			to := ms[rnd.Intn(len(ms))]
			if to == giver {
				continue
			}
			values := [][]string{nil, {"craft"}, {"craft", "care"}}[rnd.Intn(3)]
			res, err := e.Command.GiveKudos(ctx, command.GiveKudos{Tenant: tn, From: giver, To: []string{to},
				Message: "Thanks for the careful review of the migration plan", Values: values, Points: 1,
				Visibility: event.Public, Channel: event.ChannelAPI})
			if err == nil { // else a member who just left, say
				kudos = append(kudos, struct{ tenant, id, giver string }{tn, res.Events[0].ID, giver})
			}
		case r < 70 && len(kudos) > 0:
			k := kudos[rnd.Intn(len(kudos))]
			_, _ = e.Command.React(ctx, command.React{Tenant: k.tenant, KudosID: k.id, Member: members[k.tenant][rnd.Intn(8)], Emoji: "🎉"})
		case r < 75 && len(kudos) > 0:
			i := rnd.Intn(len(kudos))
			k := kudos[i]
			if _, err := e.Command.RetractKudos(ctx, command.RetractKudos{Tenant: k.tenant, KudosID: k.id, By: k.giver, ByRole: event.ByGiver, Reason: "wrong person"}); err == nil {
				kudos = append(kudos[:i], kudos[i+1:]...)
			}
		case r < 85:
			agent := ms[rnd.Intn(len(ms))]
			res, err := e.Command.RecordRating(ctx, command.RecordRating{Tenant: tn, RatingReceived: event.RatingReceived{
				Platform: "cxone", InteractionID: uuid.NewString(), Agent: agent, Score: 1 + rnd.Intn(5), Scale: event.ScaleStars5,
				Channel: event.InteractionVoice, HandleTimeSeconds: rnd.Intn(900), OccurredAt: clock.Now().Add(-time.Minute)}})
			if err != nil {
				t.Fatal(err)
			}
			if rnd.Intn(2) == 0 { // the rules engine's kudos for it
				projtest.Append(t, e.Store, tn, clock.Now(), ruleKudos(agent, res.Events[0].ID, clock.Now(), event.TypeRatingReceived))
			}
			rec, _ := e.Store.Get(ctx, res.Events[0].Seq)
			d, _ := rec.Decode()
			rating := d.(event.RatingReceived)
			switch rnd.Intn(4) {
			case 0: // corrected
				rating.Score = 1 + rnd.Intn(5)
				if _, err := e.Command.CorrectRating(ctx, command.CorrectRating{Tenant: tn, RatingCorrected: event.RatingCorrected{
					Platform: rating.Platform, InteractionID: rating.InteractionID, Agent: rating.Agent, Score: rating.Score,
					Scale: rating.Scale, Channel: rating.Channel, HandleTimeSeconds: rating.HandleTimeSeconds,
					OccurredAt: rating.OccurredAt, Reason: "survey edited"}}); err != nil {
					t.Fatal(err)
				}
			case 1: // withdrawn
				if _, err := e.Command.WithdrawRating(ctx, command.WithdrawRating{Tenant: tn, Platform: rating.Platform, InteractionID: rating.InteractionID}); err != nil {
					t.Fatal(err)
				}
			}
		case r < 90:
			member := ms[rnd.Intn(len(ms))]
			out, err := e.Command.IssueNudge(ctx, command.IssueNudge{Tenant: tn, Member: member, Kind: event.NudgeWellness,
				Reason: event.ReasonNoBreak, Message: "Time for a pause?", CauseKey: fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Skipped == "" && rnd.Intn(2) == 0 {
				if _, err := e.Command.SettleNudge(ctx, command.SettleNudge{Tenant: tn, Member: member, NudgeID: out.Events[0].ID, Acknowledge: rnd.Intn(2) == 0}); err != nil {
					t.Fatal(err)
				}
			}
		case r < 95:
			id := ms[rnd.Intn(len(ms))]
			upsert(tn, id) // moves team, maybe
		default:
			id := ms[rnd.Intn(len(ms))]
			if _, err := e.Command.RemoveMember(ctx, command.RemoveMember{Tenant: tn, Member: id, Reason: "moved on"}); err == nil {
				upsert(tn, id) // and comes back
			}
		}
	}
}

func ruleKudos(agent, ratingID string, at time.Time, causeType string) event.KudosGiven {
	return event.KudosGiven{Giver: "customer-cxone", Recipients: []string{agent}, Message: "A customer rated your call 5 stars",
		Values: []string{}, Points: 1, Visibility: event.Public, Channel: event.ChannelRule,
		Cause: &event.Cause{EventID: ratingID, Type: causeType}, Period: "day:" + at.UTC().Format(time.DateOnly)}
}

// expected is what ClickHouse must show, worked out from the stream.
type expected struct {
	byType  map[string]uint64 // tenant|type -> events
	byTeam  map[string]uint64 // tenant|team -> moments of every kudos
	daily   map[string]uint64 // tenant|team|value -> moments of kudos not retracted
	members map[string]string // tenant|member -> team now
	ratings map[string]uint64 // tenant|score -> interactions rated so now (not withdrawn)
	nudges  map[string]uint64 // tenant|outcome -> nudges ("acknowledged", "dismissed", "open")
	events  uint64
}

func fromStream(t *testing.T, e *enginetest.Engine) expected {
	t.Helper()
	x := expected{byType: map[string]uint64{}, byTeam: map[string]uint64{}, daily: map[string]uint64{}, members: map[string]string{},
		ratings: map[string]uint64{}, nudges: map[string]uint64{}}
	team := map[string]string{}
	ratings := map[string]int{}     // tenant|platform|interaction -> score now, -1 when withdrawn
	outcomes := map[string]string{} // tenant|nudge id -> outcome
	type moment struct{ key string }
	moments := map[string][]string{} // tenant|kudos id -> tenant|team|value keys
	err := e.Store.Scan(context.Background(), []string{event.StreamSubjects}, 0, e.StreamLastSeq(t), func(m jetstream.Msg, _ uint64) error {
		env, d, err := event.Read(m.Data())
		if err != nil {
			return err
		}
		t := env.Tenant
		x.events++
		x.byType[t+"|"+env.Type]++
		switch v := d.(type) {
		case event.MemberUpserted:
			team[t+"|"+v.Member] = v.Team
			x.members[t+"|"+v.Member] = v.Team
		case event.KudosGiven:
			for _, r := range v.Recipients {
				tm := team[t+"|"+r]
				x.byTeam[t+"|"+tm]++
				vals := v.Values
				if len(vals) == 0 {
					vals = []string{""}
				}
				for _, val := range vals {
					moments[t+"|"+env.ID] = append(moments[t+"|"+env.ID], t+"|"+tm+"|"+val)
				}
			}
		case event.KudosRetracted:
			delete(moments, t+"|"+v.KudosID)
		case event.RatingReceived:
			ratings[t+"|"+v.Platform+"|"+v.InteractionID] = v.Score
		case event.RatingCorrected:
			ratings[t+"|"+v.Platform+"|"+v.InteractionID] = v.Score
		case event.RatingWithdrawn:
			ratings[t+"|"+v.Platform+"|"+v.InteractionID] = -1
		case event.NudgeIssued:
			outcomes[t+"|"+env.ID] = "open"
		case event.NudgeAcknowledged:
			outcomes[t+"|"+v.NudgeID] = "acknowledged"
		case event.NudgeDismissed:
			outcomes[t+"|"+v.NudgeID] = "dismissed"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, score := range ratings {
		if score >= 0 {
			tenant, _, _ := strings.Cut(k, "|")
			x.ratings[fmt.Sprintf("%s|%d", tenant, score)]++
		}
	}
	for k, o := range outcomes {
		tenant, _, _ := strings.Cut(k, "|")
		x.nudges[tenant+"|"+o]++
	}
	for _, keys := range moments {
		for _, k := range keys {
			x.daily[k]++
		}
	}
	return x
}

func query(t *testing.T, conn driver.Conn, sql string) map[string]uint64 {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var a, b string
		var n uint64
		if err := rows.Scan(&a, &b, &n); err != nil {
			t.Fatal(err)
		}
		out[a+"|"+b] += n
	}
	return out
}

// check compares ClickHouse's tables with the stream.
func check(t *testing.T, what string, conn driver.Conn, x expected) {
	t.Helper()
	ctx := context.Background()
	if got := query(t, conn, "SELECT tenant, type, count() FROM events FINAL GROUP BY tenant, type"); !reflect.DeepEqual(got, x.byType) {
		t.Errorf("%s: events by tenant and type\n got %v\nwant %v", what, got, x.byType)
	}
	var distinct uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(event_id) FROM events").Scan(&distinct); err != nil || distinct != x.events {
		t.Errorf("%s: %d distinct events (%v), want %d", what, distinct, err, x.events)
	}
	if got := query(t, conn, "SELECT tenant, recipient_team, count() FROM kudos_recipients FINAL GROUP BY tenant, recipient_team"); !reflect.DeepEqual(got, x.byTeam) {
		t.Errorf("%s: moments by tenant and team\n got %v\nwant %v", what, got, x.byTeam)
	}
	if got := query(t, conn, "SELECT tenant, concat(team, '|', value), toUInt64(sum(moments)) FROM kudos_daily GROUP BY tenant, team, value"); !reflect.DeepEqual(got, x.daily) {
		t.Errorf("%s: kudos_daily by tenant, team and value\n got %v\nwant %v", what, got, x.daily)
	}
	if got := query(t, conn, "SELECT tenant, toString(score), count() FROM ratings_current GROUP BY tenant, score"); !reflect.DeepEqual(got, x.ratings) {
		t.Errorf("%s: current ratings by tenant and score\n got %v\nwant %v", what, got, x.ratings)
	}
	if got := query(t, conn, "SELECT tenant, multiIf(acknowledged = 1, 'acknowledged', dismissed = 1, 'dismissed', 'open'), count() FROM nudge_outcomes GROUP BY tenant, acknowledged, dismissed"); !reflect.DeepEqual(got, x.nudges) {
		t.Errorf("%s: nudges by tenant and outcome\n got %v\nwant %v", what, got, x.nudges)
	}
	if got := query(t, conn, "SELECT tenant, member, toUInt64(1) FROM members FINAL"); len(got) != len(x.members) {
		t.Errorf("%s: %d members, want %d", what, len(got), len(x.members))
	}
	teams := query(t, conn, "SELECT tenant, concat(member, '|', team), toUInt64(1) FROM members FINAL")
	for k, tm := range x.members {
		tenant, member, _ := strings.Cut(k, "|")
		if teams[tenant+"|"+member+"|"+tm] != 1 {
			keys := make([]string, 0, len(teams))
			for k := range teams {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			t.Errorf("%s: member %s is not in team %s now: %v", what, k, tm, keys)
			break
		}
	}
}

// TestReplayEquivalence: after a random workload, ClickHouse's counts per
// type, tenant and team equal the stream's; after a second projector
// replays the whole stream into the same tables, they still do.
func TestReplayEquivalence(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	clock := enginetest.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	e := startEngine(t, dsn, clock.Now)
	workload(t, e, clock, 1500, 20261130)
	p := projectorOf(t, e)
	caughtUp(t, e, p, time.Minute)
	x := fromStream(t, e)
	if x.byType["acme|"+event.TypeKudosGiven] == 0 || x.byType["acme|"+event.TypeRatingReceived] == 0 || x.byType["acme|"+event.TypeKudosRetracted] == 0 ||
		x.byType["acme|"+event.TypeRatingCorrected] == 0 || x.byType["acme|"+event.TypeRatingWithdrawn] == 0 ||
		x.nudges["acme|acknowledged"] == 0 || x.nudges["acme|dismissed"] == 0 || x.nudges["acme|open"] == 0 {
		t.Fatalf("the workload lacks kinds of events: %v", x.byType)
	}
	conn := open(t, dsn)
	check(t, "live", conn, x)

	// A full replay into the same tables, by a second projector.
	replay, err := analytics.New(analytics.Config{Stream: e.Store, DSN: dsn, Replica: "replay", BatchEvents: 500, FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- replay.Run(ctx) }()
	caughtUp(t, e, replay, time.Minute)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	check(t, "after a replay", conn, x)
	var raw uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM events").Scan(&raw); err != nil || raw < x.events {
		t.Errorf("%d rows before merging (%v): the replay should have inserted the stream again", raw, err)
	}
}

// TestOutage: ClickHouse stopped for 30 s in the middle of a steady load
// and started again: the projector reports it (not ready, retries), holds
// its batch, and catches up; no row is lost and none doubled.
func TestOutage(t *testing.T) {
	t.Parallel()
	srv, _, dsn := ownClickHouse(t, "outage")
	e := startEngine(t, dsn, time.Now)
	p := projectorOf(t, e)
	ctx := context.Background()
	for _, m := range []string{"ana", "bo", "cy"} {
		if _, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
			Member: m, Name: m, Team: "support", TimeZone: "UTC", Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Command.SetPolicy(ctx, command.SetPolicy{Tenant: "acme", PolicySet: event.PolicySet{
		Allowance: event.Allowance{Amount: 1000, Period: event.PeriodDay}, Values: []string{}, MessageRules: event.MessageRules{MinLength: 10}}}); err != nil {
		t.Fatal(err)
	}
	// A steady load of kudos, 50 a second, for 40 s.
	loadDone := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for end := time.Now().Add(40 * time.Second); time.Now().Before(end); <-tick.C {
			from, to := []string{"ana", "bo", "cy"}[n%3], []string{"bo", "cy", "ana"}[n%3]
			if _, err := e.Command.GiveKudos(ctx, command.GiveKudos{Tenant: "acme", From: from, To: []string{to},
				Message: "Thanks for covering the late shift again", Points: 1, Visibility: event.Public, Channel: event.ChannelAPI}); err != nil {
				t.Errorf("give: %v", err)
				break
			}
			n++
		}
		loadDone <- n
	}()
	time.Sleep(3 * time.Second)
	srv.Stop()
	stoppedAt := e.StreamLastSeq(t)
	// While it is down: not ready, retrying, behind.
	deadline := time.Now().Add(30 * time.Second)
	sawNotReady, sawReadyz := false, false
	for time.Now().Before(deadline) {
		if p.Ready() != nil {
			sawNotReady = true
		}
		if r := e.Do(t, "GET", "/readyz", "", nil); r.Status == 503 && strings.Contains(r.String(), "analytics") {
			sawReadyz = true
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !sawNotReady || !sawReadyz {
		t.Errorf("during the outage: projector not ready %v, /readyz 503 naming analytics %v", sawNotReady, sawReadyz)
	}
	if p.LastSeq() > stoppedAt+uint64(analytics.DefaultBatchEvents) {
		t.Errorf("the projector went on to %d while ClickHouse was down (stopped at %d)", p.LastSeq(), stoppedAt)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	gave := <-loadDone
	caughtUp(t, e, p, 2*time.Minute)
	if err := p.Ready(); err != nil {
		t.Errorf("ready after catching up: %v", err)
	}
	x := fromStream(t, e)
	if x.byType["acme|"+event.TypeKudosGiven] != uint64(gave) {
		t.Fatalf("the stream holds %d kudos, the load gave %d", x.byType["acme|"+event.TypeKudosGiven], gave)
	}
	conn := open(t, dsn)
	check(t, "after the outage", conn, x)
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM kudos_recipients FINAL").Scan(&rows); err != nil || rows != uint64(gave) {
		t.Errorf("%d kudos rows (%v), want %d", rows, err, gave)
	}
	metrics := e.Do(t, "GET", "/metrics", "", nil).String()
	if !strings.Contains(metrics, "plaudit_analytics_clickhouse_up 1") || strings.Contains(metrics, "plaudit_analytics_retries_total 0\n") {
		t.Errorf("metrics after the outage lack up 1 or retries:\n%s", grep(metrics, "plaudit_analytics"))
	}
	t.Logf("%d kudos given, %d events appended after ClickHouse stopped", gave, e.StreamLastSeq(t)-stoppedAt)
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDatabaseLost: a ClickHouse database dropped (or restored from an
// older backup) while the consumer kept its position is filled again from
// the stream when the projector starts: ClickHouse, not the consumer, says
// how far it got.
func TestDatabaseLost(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	clock, start := restartable(t, dsn)
	e := start()
	workload(t, e, clock, 300, 7)
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	e.Stop()
	opts, _ := clickhouse.ParseDSN(dsn)
	conn := open(t, dsn)
	if err := conn.Exec(context.Background(), "DROP DATABASE "+opts.Auth.Database); err != nil {
		t.Fatal(err)
	}
	e = start() // the database is created again, and filled
	p := projectorOf(t, e)
	caughtUp(t, e, p, time.Minute)
	check(t, "after the database was lost", open(t, dsn), fromStream(t, e))
}

// TestREADMEExamples runs every example query of schemas/clickhouse's
// README on the scenario it describes and wants the result it shows.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	srv, db, dsn := ownClickHouse(t, "readme")
	clock := enginetest.NewClock(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))
	e := startEngine(t, dsn, clock.Now)
	ctx := context.Background()
	for _, m := range [][2]string{{"ana", "support"}, {"bo", "support"}, {"cy", "sales"}, {"eve", "sales"}} {
		if _, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
			Member: m[0], Name: m[0], Team: m[1], TimeZone: "UTC", Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Command.SetPolicy(ctx, command.SetPolicy{Tenant: "acme", PolicySet: event.PolicySet{
		Allowance: event.Allowance{Amount: 10, Period: event.PeriodDay}, Values: []string{"craft", "care"},
		MessageRules: event.MessageRules{MinLength: 10}}}); err != nil {
		t.Fatal(err)
	}
	give := func(at, from string, to []string, values ...string) string {
		t.Helper()
		clock.Set(mustTime(t, at))
		res, err := e.Command.GiveKudos(ctx, command.GiveKudos{Tenant: "acme", From: from, To: to,
			Message: "Thanks for the thorough handover notes", Values: values, Points: 1, Visibility: event.Public, Channel: event.ChannelAPI})
		if err != nil {
			t.Fatal(err)
		}
		return res.Events[0].ID
	}
	give("2026-11-02T09:00:00Z", "ana", []string{"bo"}, "craft")
	give("2026-11-03T10:00:00Z", "cy", []string{"ana", "bo"}, "care")
	give("2026-11-10T11:00:00Z", "bo", []string{"cy"}, "craft", "care")
	k4 := give("2026-11-11T12:00:00Z", "ana", []string{"cy"})
	clock.Set(mustTime(t, "2026-11-11T13:00:00Z"))
	if _, err := e.Command.RetractKudos(ctx, command.RetractKudos{Tenant: "acme", KudosID: k4, By: "ana", ByRole: event.ByGiver, Reason: "meant for eve"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ agent, occurred string }{{"bo", "2026-11-12T08:00:00Z"}, {"ana", "2026-11-12T09:00:00Z"}} {
		clock.Set(mustTime(t, r.occurred).Add(10 * time.Second))
		res, err := e.Command.RecordRating(ctx, command.RecordRating{Tenant: "acme", RatingReceived: event.RatingReceived{
			Platform: "cxone", InteractionID: "call-" + r.agent, Agent: r.agent, Score: 5, Scale: event.ScaleStars5,
			Channel: event.InteractionVoice, HandleTimeSeconds: 300, OccurredAt: mustTime(t, r.occurred)}})
		if err != nil {
			t.Fatal(err)
		}
		if r.agent == "bo" {
			at := mustTime(t, r.occurred).Add(30 * time.Second)
			projtest.Append(t, e.Store, "acme", at, ruleKudos("bo", res.Events[0].ID, at, event.TypeRatingReceived))
		}
	}
	// ana's rating is withdrawn; cy's is corrected from 3 to 5 stars, and
	// the correction earns kudos.
	clock.Set(mustTime(t, "2026-11-12T09:30:00Z"))
	if _, err := e.Command.WithdrawRating(ctx, command.WithdrawRating{Tenant: "acme", Platform: "cxone", InteractionID: "call-ana"}); err != nil {
		t.Fatal(err)
	}
	cy := event.RatingReceived{Platform: "cxone", InteractionID: "call-cy", Agent: "cy", Score: 3, Scale: event.ScaleStars5,
		Channel: event.InteractionChat, HandleTimeSeconds: 240, OccurredAt: mustTime(t, "2026-11-13T09:00:00Z")}
	clock.Set(mustTime(t, "2026-11-13T09:01:00Z"))
	if _, err := e.Command.RecordRating(ctx, command.RecordRating{Tenant: "acme", RatingReceived: cy}); err != nil {
		t.Fatal(err)
	}
	clock.Set(mustTime(t, "2026-11-13T09:05:00Z"))
	cy.Score = 5
	corrected, err := e.Command.CorrectRating(ctx, command.CorrectRating{Tenant: "acme", RatingCorrected: event.RatingCorrected{
		Platform: cy.Platform, InteractionID: cy.InteractionID, Agent: cy.Agent, Score: cy.Score, Scale: cy.Scale,
		Channel: cy.Channel, HandleTimeSeconds: cy.HandleTimeSeconds, OccurredAt: cy.OccurredAt}})
	if err != nil {
		t.Fatal(err)
	}
	at := mustTime(t, "2026-11-13T09:05:20Z")
	projtest.Append(t, e.Store, "acme", at, ruleKudos("cy", corrected.Events[0].ID, at, event.TypeRatingCorrected))

	// Nudges: bo's, at once, acknowledged; ana's, in her quiet hours,
	// delivered when they end and dismissed.
	for _, m := range []string{"ana", "bo"} {
		if _, err := e.Command.SetPreferences(ctx, command.SetPreferences{Tenant: "acme",
			PreferencesSet: event.PreferencesSet{Member: m, Nudges: event.NudgeChoices{Wellness: event.ChoiceOn}}}); err != nil {
			t.Fatal(err)
		}
	}
	nudge := func(at, member, reason, message string) string {
		t.Helper()
		clock.Set(mustTime(t, at))
		out, err := e.Command.IssueNudge(ctx, command.IssueNudge{Tenant: "acme", Member: member, Kind: event.NudgeWellness,
			Reason: reason, Message: message, CauseKey: at})
		if err != nil || out.Skipped != "" {
			t.Fatalf("nudge %s: %+v, %v", member, out, err)
		}
		return out.Events[0].ID
	}
	settle := func(at, member, id string, ack bool) {
		t.Helper()
		clock.Set(mustTime(t, at))
		if _, err := e.Command.SettleNudge(ctx, command.SettleNudge{Tenant: "acme", Member: member, NudgeID: id, Acknowledge: ack}); err != nil {
			t.Fatal(err)
		}
	}
	boNudge := nudge("2026-11-12T08:01:00Z", "bo", event.ReasonLowRating, "That last call sounded like a hard one.")
	settle("2026-11-12T08:05:00Z", "bo", boNudge, true)
	anaNudge := nudge("2026-11-12T21:00:00Z", "ana", event.ReasonLongInteraction, "That was a long call.")
	clock.Set(mustTime(t, "2026-11-13T08:00:05Z"))
	if _, _, err := e.Command.DeliverNudge(ctx, command.DeliverNudge{Tenant: "acme", Member: "ana", NudgeID: anaNudge}); err != nil {
		t.Fatal(err)
	}
	settle("2026-11-13T08:10:00Z", "ana", anaNudge, false)
	caughtUp(t, e, projectorOf(t, e), time.Minute)

	readme, err := os.ReadFile("../../schemas/clickhouse/README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := regexp.MustCompile("(?s)```sql\n(.*?)```\n+```tsv\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(examples) < 6 {
		t.Fatalf("the README has %d examples with results", len(examples))
	}
	for _, ex := range examples {
		got := clickhouseTSV(t, srv, db, ex[1])
		if got != ex[2] {
			t.Errorf("README example\n%s\ngives\n%s\nthe README shows\n%s", ex[1], got, ex[2])
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// clickhouseTSV runs query over ClickHouse's HTTP interface and returns its
// TSV output, as clickhouse-client prints it.
func clickhouseTSV(t *testing.T, srv *testenv.ClickHouseServer, db, query string) string {
	t.Helper()
	u := fmt.Sprintf("http://127.0.0.1:%d/?database=%s", srv.HTTPPort, db)
	resp, err := http.Post(u, "text/plain", strings.NewReader(strings.TrimSpace(query)+" FORMAT TSV"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s (%v)", query, resp.StatusCode, body, err)
	}
	return string(body)
}

// TestPoisonDeadLettered: a message that is no event goes to the
// projector's dead-letter subject with its reason, and what follows is
// inserted.
func TestPoisonDeadLettered(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	e := startEngine(t, dsn, time.Now)
	ctx := context.Background()
	poison, err := e.Store.JetStream().Publish(ctx, event.KudosSubject("acme", "ana", "given"), []byte(`{"not":"an event"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
		Member: "ana", Name: "Ana", Team: "support", TimeZone: "UTC", Active: true}}); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	dlq, err := e.Store.JetStream().Stream(ctx, projector.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := dlq.GetLastMsgForSubject(ctx, projector.DeadLetterSubject(analytics.Name))
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if dl.Header.Get(projector.HeaderStreamSeq) != strconv.FormatUint(poison.Sequence, 10) || !strings.Contains(dl.Header.Get(projector.HeaderReason), "malformed") {
		t.Errorf("dead letter %v %q", dl.Header, dl.Data)
	}
	var n uint64
	if err := open(t, dsn).QueryRow(ctx, "SELECT count() FROM members FINAL WHERE member = 'ana'").Scan(&n); err != nil || n != 1 {
		t.Errorf("the member after the poison message: %d rows (%v)", n, err)
	}
	// /metrics shows the dead letter, the inserts' latency, and the
	// projector's consumer among the projections'.
	m := e.Metrics(t)
	if m["plaudit_analytics_dead_lettered_total"] != 1 || m["plaudit_analytics_clickhouse_insert_seconds_count"] < 1 || m["plaudit_analytics_clickhouse_up"] != 1 {
		t.Errorf("metrics: dead lettered %v, inserts timed %v, up %v", m["plaudit_analytics_dead_lettered_total"],
			m["plaudit_analytics_clickhouse_insert_seconds_count"], m["plaudit_analytics_clickhouse_up"])
	}
	if _, ok := m[`plaudit_projection_consumer_pending_events{projection="analytics"}`]; !ok {
		t.Error("metrics lack the analytics projector's consumer")
	}
}

// TestRestartHoldingABatch: a projector stopped while it holds batches it
// could not insert (ClickHouse down) loses none of them: the next one reads
// them again, though the server would redeliver them only after AckWait.
func TestRestartHoldingABatch(t *testing.T) {
	t.Parallel()
	srv, _, dsn := ownClickHouse(t, "restart")
	clock, start := restartable(t, dsn)
	e := start()
	workload(t, e, clock, 100, 3)
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	srv.Stop()
	workload(t, e, clock, 200, 4) // delivered to the projector, not inserted
	time.Sleep(500 * time.Millisecond)
	e.Stop()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	e = start()
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	check(t, "after a restart holding batches", open(t, dsn), fromStream(t, e))
}

// TestDeliveriesLost: deliveries of the projector's consumer that never
// reach it (here another client pulls three and never acknowledges them;
// a client over its pending limits or a dropped connection loses them
// alike) must not be acknowledged by the next batch: the projector binds
// the consumer again, and ClickHouse ends up with every event.
func TestDeliveriesLost(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	clock := enginetest.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	e := startEngine(t, dsn, clock.Now)
	p := projectorOf(t, e)
	workload(t, e, clock, 100, 5)
	caughtUp(t, e, p, time.Minute)
	js, err := jetstream.New(e.Conn())
	if err != nil {
		t.Fatal(err)
	}
	testenv.TakeDeliveries(t, js, e.Store.Stream().CachedInfo().Config.Name, p.ConsumerName(), 3,
		func(round int) { workload(t, e, clock, 20, int64(10+round)) })
	workload(t, e, clock, 50, 99)
	caughtUp(t, e, p, time.Minute)
	check(t, "after lost deliveries", open(t, dsn), fromStream(t, e))
}

// TestStreamBehindClickHouse: the stream deleted and created again (it
// ends before what ClickHouse holds) is refused loudly, not resumed past
// its events.
func TestStreamBehindClickHouse(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	dataDir := t.TempDir()
	clock := enginetest.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	e := startIn(t, dataDir, dsn, clock.Now)
	workload(t, e, clock, 40, 3)
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	e.Stop()

	// Delete the stream, as an operator's mistake would.
	keys, err := natsauth.LoadOrCreate(filepath.Join(dataDir, "nats", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsembed.Start(natsembed.Options{StoreDir: filepath.Join(dataDir, "jetstream"), Auth: keys, ResolverDir: filepath.Join(dataDir, "nats", "accounts")})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(context.Background(), eventstore.DefaultStream); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()

	e = startIn(t, dataDir, dsn, clock.Now) // creates the stream again, empty
	admin := e.Key(t, "acme", auth.Admin, "")
	e.Seed(t, admin, enginetest.Member{ID: "ana", Team: "support", TimeZone: "UTC"})
	p := projectorOf(t, e)
	deadline := time.Now().Add(30 * time.Second)
	for !errors.Is(p.Ready(), analytics.ErrStreamBehind) {
		if time.Now().After(deadline) {
			t.Fatalf("ready: %v, want the stream refused", p.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.Do(t, "GET", "/readyz", "", nil).WantProblem(t, 503, "")
}

// TestInsertContinuesTheTrace: an event appended under a sampled span gets
// an "analytics insert" span in that trace, a child of its append; an
// event appended outside any trace gets none.
func TestInsertContinuesTheTrace(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouse(t)
	rec := tracingtest.New(t)
	e := enginetest.Start(t, engine.Config{TracerProvider: rec, Components: map[string]engine.NewComponent{
		analytics.Name: func(d engine.ComponentDeps) (engine.Component, error) {
			return analytics.New(analytics.Config{Stream: d.Store, DSN: dsn, Logger: d.Logger,
				BatchWait: 100 * time.Millisecond, TracerProvider: d.TracerProvider})
		},
	}})
	ctx := context.Background()
	upsert := func(ctx context.Context, member string) {
		if _, err := e.Command.UpsertMember(ctx, command.UpsertMember{Tenant: "acme", MemberUpserted: event.MemberUpserted{
			Member: member, Name: member, Team: "support", TimeZone: "UTC", Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	upsert(ctx, "untraced")
	traced, root := rec.Tracer("test").Start(ctx, "test")
	upsert(traced, "traced")
	root.End()
	caughtUp(t, e, projectorOf(t, e), time.Minute)
	var insert, appended tracetest.SpanStub
	rec.Wait(t, 20*time.Second, func(spans tracetest.SpanStubs) bool {
		for _, s := range spans {
			if s.Name == "analytics insert" {
				insert = s
			}
		}
		var ok bool
		appended, ok = tracingtest.ByID(spans, insert.Parent)
		return insert.SpanContext.IsValid() && ok
	})
	if insert.SpanContext.TraceID() != root.SpanContext().TraceID() || !strings.HasPrefix(appended.Name, "append ") {
		t.Errorf("the insert's span is in trace %s under %q; want the test's trace %s, under the append",
			insert.SpanContext.TraceID(), appended.Name, root.SpanContext().TraceID())
	}
	n := 0
	for _, s := range rec.Spans() {
		if s.Name == "analytics insert" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d insert spans, want 1: the untraced event's insert is in no trace", n)
	}
}
