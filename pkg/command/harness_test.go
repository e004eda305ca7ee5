package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// acme is the tenant of the integration tests; every test has a server and
// stream of its own.
const acme = "acme"

// specificMessage passes the default message rules.
const specificMessage = "Thanks for taking the escalated refund call and keeping the customer calm"

// harness is one test's write side: an embedded server, the stream, a
// directory tailing it and a service on a controlled clock.
type harness struct {
	t     *testing.T
	store *eventstore.Store
	dir   *command.Directory
	svc   *command.Service
	clock *testenv.Clock
}

// newHarness starts a server of the test's own with the clock at now. At
// the end of the test every event in the stream must match its JSON Schema.
func newHarness(t *testing.T, now time.Time) *harness {
	t.Helper()
	return harnessOn(t, testenv.Store(t, testenv.NATS(t, t.TempDir())), now)
}

// newForgetfulHarness is newHarness on a stream whose duplicate window is
// a second, for the tests of what happens once JetStream has forgotten an
// event id (waitPastDuplicateWindow).
func newForgetfulHarness(t *testing.T, now time.Time) *harness {
	t.Helper()
	srv := testenv.NATS(t, t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, testenv.Conn(t, srv), eventstore.Config{DuplicateWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return harnessOn(t, st, now)
}

// waitPastDuplicateWindow returns once JetStream has forgotten the ids of
// every event the stream holds now.
func (h *harness) waitPastDuplicateWindow() {
	h.t.Helper()
	testenv.PastDuplicateWindow(h.ctx(), h.t, h.store, acme, ratingNow)
}

// twoServices returns harnesses of two services, each with its own store
// connection, directory and giver cache, on one stream holding the members
// ana and ben of support, and one clock, at now. The second directory learns
// the members from the stream.
func twoServices(t *testing.T, now time.Time) (a, b *harness) {
	t.Helper()
	srv := testenv.NATS(t, t.TempDir())
	a = harnessOn(t, testenv.Store(t, srv), now)
	a.members("Europe/Lisbon", "ana", "ben")
	st, dir := testenv.Store(t, srv), diskDirectory(t)
	runDirectory(t, dir, st)
	if m, ok := dir.Member(acme, "ben"); !ok || !m.Active {
		t.Fatalf("second directory has ben = %+v, %v", m, ok)
	}
	return a, &harness{t: t, store: st, dir: dir, svc: command.NewService(st, dir, a.clock.Now), clock: a.clock}
}

func harnessOn(t *testing.T, st *eventstore.Store, now time.Time) *harness {
	t.Helper()
	h := &harness{t: t, store: st, dir: diskDirectory(t), clock: testenv.NewClock(now)}
	h.svc = command.NewService(st, h.dir, h.clock.Now)
	runDirectory(t, h.dir, st)
	t.Cleanup(func() { validateStream(t, st) })
	return h
}

// diskDirectory is a directory whose kudos index is on disk, as plauditd's
// is, closed when the test ends.
func diskDirectory(tb testing.TB) *command.Directory {
	tb.Helper()
	dir, err := command.OpenDirectory(filepath.Join(tb.TempDir(), "kudos"), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := dir.Close(); err != nil {
			tb.Errorf("closing the directory: %v", err)
		}
	})
	return dir
}

// runDirectory tails the stream into dir until the test ends, and waits
// until it has caught up.
func runDirectory(tb testing.TB, dir *command.Directory, st *eventstore.Store) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dir.Run(ctx, st, slog.New(slog.DiscardHandler)) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("directory: %v", err)
		}
	})
	select {
	case <-dir.Ready():
	case err := <-done:
		tb.Fatalf("directory stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		tb.Fatal("directory not ready after 10s")
	}
}

// validateStream checks every event in the stream against its schema.
func validateStream(t *testing.T, st *eventstore.Store) {
	t.Helper()
	// t.Context is done by the time cleanups run.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, _, err := st.Load(ctx, event.StreamSubjects, 0)
	if err != nil {
		t.Errorf("load the stream to validate it: %v", err)
		return
	}
	for _, r := range recs {
		b, err := json.Marshal(r.Envelope)
		if err != nil {
			t.Errorf("marshal event %d: %v", r.Seq, err)
			continue
		}
		eventtest.Validate(t, b)
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(h.t.Context(), 20*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// member creates an active member in zone.
func (h *harness) member(id, team, zone string) {
	h.t.Helper()
	_, err := h.svc.UpsertMember(h.ctx(), command.UpsertMember{Tenant: acme, MemberUpserted: event.MemberUpserted{
		Member: id, Name: "Member " + id, Team: team, TimeZone: zone, Active: true,
	}})
	if err != nil {
		h.t.Fatalf("upsert %s: %v", id, err)
	}
}

// members creates active members of support in zone.
func (h *harness) members(zone string, ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.member(id, "support", zone)
	}
}

// leave removes a member.
func (h *harness) leave(id string) {
	h.t.Helper()
	if _, err := h.svc.RemoveMember(h.ctx(), command.RemoveMember{Tenant: acme, Member: id, Reason: "moved on"}); err != nil {
		h.t.Fatalf("remove %s: %v", id, err)
	}
}

// setPolicy replaces the tenant's policy.
func (h *harness) setPolicy(p event.PolicySet) {
	h.t.Helper()
	if _, err := h.svc.SetPolicy(h.ctx(), command.SetPolicy{Tenant: acme, PolicySet: p}); err != nil {
		h.t.Fatalf("set policy: %v", err)
	}
}

// kudos is a valid command from giver to recipients, points each.
func kudos(from string, points int, to ...string) command.GiveKudos {
	return command.GiveKudos{
		Tenant: acme, From: from, To: to, Message: specificMessage, Values: []string{},
		Points: points, Visibility: event.Public, Channel: event.ChannelAPI,
	}
}

// give gives kudos and fails the test unless they are stored anew.
func (h *harness) give(c command.GiveKudos) eventstore.Appended {
	h.t.Helper()
	res, err := h.svc.GiveKudos(h.ctx(), c)
	if err != nil {
		h.t.Fatalf("give %s -> %v: %v", c.From, c.To, err)
	}
	if res.Replayed || len(res.Events) != 1 {
		h.t.Fatalf("give %s -> %v = %+v, want one new event", c.From, c.To, res)
	}
	return res.Events[0]
}

// record records a rating and fails the test unless it is stored anew.
func (h *harness) record(c command.RecordRating) eventstore.Appended {
	h.t.Helper()
	res, err := h.svc.RecordRating(h.ctx(), c)
	if err != nil || res.Replayed || len(res.Events) != 1 {
		h.t.Fatalf("record %s = %+v, %v; want one new event", c.InteractionID, res, err)
	}
	return res.Events[0]
}

// refused gives kudos and fails the test unless the allowance refuses them
// with remaining points left and a reset at resets.
func (h *harness) refused(c command.GiveKudos, remaining int, resets time.Time) *command.AllowanceError {
	h.t.Helper()
	res, err := h.svc.GiveKudos(h.ctx(), c)
	var ae *command.AllowanceError
	if !errors.As(err, &ae) {
		h.t.Fatalf("give %s -> %v = %+v, %v; want *AllowanceError", c.From, c.To, res, err)
	}
	if !errors.Is(err, command.ErrAllowanceExceeded) {
		h.t.Errorf("%v does not match ErrAllowanceExceeded", err)
	}
	if ae.Remaining != remaining || !ae.ResetsAt.Equal(resets) {
		h.t.Errorf("AllowanceError = %+v; want %d remaining, resets at %v", *ae, remaining, resets)
	}
	return ae
}

// msgs is how many events the stream holds.
func (h *harness) msgs() uint64 {
	h.t.Helper()
	return streamMsgs(h.t, h.store)
}

func streamMsgs(t *testing.T, st *eventstore.Store) uint64 {
	t.Helper()
	// Not t.Context: this also runs in cleanups, after it is done.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := st.Stream().Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// givenBy loads the giver's kudos_given events from the stream.
func givenBy(t *testing.T, st *eventstore.Store, giver string) []event.KudosGiven {
	t.Helper()
	recs := load(t, st, event.GiverFilter(acme, giver))
	var out []event.KudosGiven
	for _, r := range recs {
		if d, ok := decode(t, r).(event.KudosGiven); ok {
			out = append(out, d)
		}
	}
	return out
}

func load(t *testing.T, st *eventstore.Store, filter string) []eventstore.Recorded {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	recs, _, err := st.Load(ctx, filter, 0)
	if err != nil {
		t.Fatalf("load %s: %v", filter, err)
	}
	return recs
}

func decode(t *testing.T, r eventstore.Recorded) event.Data {
	t.Helper()
	d, err := r.Decode()
	if err != nil {
		t.Fatalf("decode %d: %v", r.Seq, err)
	}
	return d
}

// stored returns the event with id from the stream.
func stored(t *testing.T, st *eventstore.Store, id string) event.Data {
	t.Helper()
	for _, r := range load(t, st, event.StreamSubjects) {
		if r.ID == id {
			return decode(t, r)
		}
	}
	t.Fatalf("event %s is not in the stream", id)
	return nil
}

func sumSpent(ks []event.KudosGiven, period string) (n, spent int) {
	for _, k := range ks {
		if period == "" || k.Period == period {
			n++
			spent += k.Spent
		}
	}
	return n, spent
}

// wantValidation fails the test unless err is a *ValidationError on field.
func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *command.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a *ValidationError on %q", err, field)
	}
	if ve.Field != field {
		t.Errorf("ValidationError on %q (%s), want %q", ve.Field, ve.Reason, field)
	}
}

// wantRefusal fails the test unless err refuses the command that answered
// res: with a *ValidationError on field or, when field is "", with a
// *StateError of kind.
func wantRefusal(t *testing.T, res command.Result, err error, field string, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted with %+v, want a refusal", res)
	}
	if field != "" {
		wantValidation(t, err, field)
		return
	}
	wantState(t, err, kind)
}

// wantUnchanged fails the test unless the stream still holds before
// events: a refused or replayed command stores nothing.
func (h *harness) wantUnchanged(t *testing.T, before uint64) {
	t.Helper()
	if got := h.msgs(); got != before {
		t.Errorf("stream grew from %d to %d", before, got)
	}
}

// wantState fails the test unless err is a refusal of kind.
func wantState(t *testing.T, err error, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want %v", err, kind)
	}
	var se *command.StateError
	if !errors.As(err, &se) {
		t.Errorf("error %v is not a *StateError", err)
	}
}
