// Package projections_test holds the tests that span every projection:
// replay equivalence (a rebuilt model equals the live one, item by item)
// and the projections' metrics on a running engine.
package projections_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/projections/allowance"
	"github.com/plaudit/plaudit/projections/density"
	"github.com/plaudit/plaudit/projections/feed"
	"github.com/plaudit/plaudit/projections/internal/projtest"
)

var (
	replayEvents = flag.Int("replay.events", 10_000, "events the replay-equivalence workload appends")
	replaySeed   = flag.Int64("replay.seed", 20261123, "seed of the replay-equivalence workload")
)

func modules() []projector.Module {
	return []projector.Module{feed.Module(), allowance.Module(), density.Module()}
}

// workload drives a random but reproducible mix of commands through the
// write side: gives to one to three colleagues with values, some private;
// reactions; retractions by givers and admins, in and after the period;
// members joining, moving team or time zone, leaving and coming back;
// customer ratings; policy changes (amount and period) and boosts, in two
// tenants, on a clock that moves on by minutes, so periods end on the way.
type workload struct {
	rnd    *rand.Rand
	cmd    *command.Service
	clock  *enginetest.Clock
	events int // appended, not replayed

	tenants []string
	members map[string][]string // tenant -> every member id ever added
	left    map[string]bool     // tenant 0 member -> has left
	kudos   map[string][]given  // tenant -> kudos not retracted
	refused map[string]int      // command -> refusals (allowance, conflicts)
	counts  map[string]int      // command -> events appended
}

type given struct {
	id, giver  string
	recipients []string
	private    bool
}

var (
	teams  = []string{"support", "sales", "ops", "craft", "people"}
	zones  = []string{"Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC", "America/Santiago"}
	values = []string{"ownership", "kindness", "curiosity", "craft"}
	emojis = []string{"🎉", "🙏", ":clap:", ":rocket:", "💯"}
)

const message = "Thanks for pairing on the flaky checkout test until it finally held"

// newWorkload sets up two tenants with a policy and 24 members each.
func newWorkload(t *testing.T, ctx context.Context, e *enginetest.Engine, clock *enginetest.Clock) *workload {
	w := &workload{
		rnd: rand.New(rand.NewSource(*replaySeed)), cmd: e.Command, clock: clock,
		tenants: []string{"acme", "globex"}, members: map[string][]string{}, left: map[string]bool{},
		kudos: map[string][]given{}, refused: map[string]int{}, counts: map[string]int{},
	}
	for _, tn := range w.tenants {
		res, err := w.cmd.SetPolicy(ctx, command.SetPolicy{Tenant: tn, PolicySet: event.PolicySet{
			Allowance: event.Allowance{Amount: 1000, Period: event.PeriodDay}, Values: values,
			MessageRules: event.MessageRules{MinLength: 20, RejectGeneric: true},
		}})
		w.do(t, "policy", res, err)
		for i := range 24 {
			id := fmt.Sprintf("m%03d", i)
			w.members[tn] = append(w.members[tn], id)
			w.upsert(t, ctx, tn, id)
		}
	}
	return w
}

func (w *workload) pick(list []string) string { return list[w.rnd.Intn(len(list))] }

func (w *workload) active(t string) []string {
	var out []string
	for _, m := range w.members[t] {
		if !w.left[t+"\x00"+m] {
			out = append(out, m)
		}
	}
	return out
}

// do runs one command and counts what it appended. Refusals the workload
// can run into (a member who just left, an allowance spent, a reaction to
// a kudos retracted) are counted, not fatal.
func (w *workload) do(t *testing.T, name string, res command.Result, err error) bool {
	t.Helper()
	if err != nil {
		var ve *command.ValidationError
		var se *command.StateError
		var ae *command.AllowanceError
		switch {
		case errors.As(err, &ve), errors.As(err, &se), errors.As(err, &ae):
			w.refused[name]++
			return false
		}
		t.Fatalf("%s: %v", name, err)
	}
	if !res.Replayed {
		w.events += len(res.Events)
		w.counts[name] += len(res.Events)
	}
	return true
}

func (w *workload) step(t *testing.T, ctx context.Context) {
	t.Helper()
	w.clock.Advance(time.Duration(w.rnd.Intn(20*60)) * time.Second)
	tn := w.tenants[0]
	if w.rnd.Intn(5) == 0 {
		tn = w.tenants[1]
	}
	active := w.active(tn)
	switch r := w.rnd.Intn(1000); {
	case r < 550 && len(active) >= 4: // give
		giver := w.pick(active)
		var to []string
		for _, i := range w.rnd.Perm(len(active))[:1+w.rnd.Intn(3)] {
			if active[i] != giver {
				to = append(to, active[i])
			}
		}
		if len(to) == 0 {
			return
		}
		var vs []string
		for _, i := range w.rnd.Perm(len(values))[:w.rnd.Intn(3)] {
			vs = append(vs, values[i])
		}
		vis := event.Public
		if w.rnd.Intn(6) == 0 {
			vis = event.Private
		}
		res, err := w.cmd.GiveKudos(ctx, command.GiveKudos{
			Tenant: tn, From: giver, To: to, Message: message, Values: vs, Points: 1 + w.rnd.Intn(5),
			Visibility: vis, Channel: event.ChannelAPI,
		})
		if w.do(t, "give", res, err) {
			w.kudos[tn] = append(w.kudos[tn], given{id: res.Events[0].ID, giver: giver, recipients: to, private: vis == event.Private})
		}
	case r < 800 && len(w.kudos[tn]) > 0: // react
		k := w.kudos[tn][w.rnd.Intn(len(w.kudos[tn]))]
		who := w.pick(active)
		if k.private {
			who = w.pick(append([]string{k.giver}, k.recipients...))
		}
		res, err := w.cmd.React(ctx, command.React{Tenant: tn, KudosID: k.id, Member: who, Emoji: w.pick(emojis)})
		w.do(t, "react", res, err)
	case r < 870 && len(w.kudos[tn]) > 0: // retract
		i := w.rnd.Intn(len(w.kudos[tn]))
		k := w.kudos[tn][i]
		c := command.RetractKudos{Tenant: tn, KudosID: k.id, By: k.giver, ByRole: event.ByGiver, Reason: "sent to the wrong colleague"}
		if w.rnd.Intn(3) == 0 {
			c.By, c.ByRole = "k_0123456789ab", event.ByAdmin
		}
		res, err := w.cmd.RetractKudos(ctx, c)
		if w.do(t, "retract", res, err) {
			w.kudos[tn] = slices.Delete(w.kudos[tn], i, i+1)
		}
	case r < 940: // a member joins, moves or comes back
		id := fmt.Sprintf("m%03d", w.rnd.Intn(len(w.members[tn])+3))
		if !slices.Contains(w.members[tn], id) {
			w.members[tn] = append(w.members[tn], id)
		}
		w.upsert(t, ctx, tn, id)
	case r < 960 && len(active) > 6: // a member leaves
		id := w.pick(active)
		res, err := w.cmd.RemoveMember(ctx, command.RemoveMember{Tenant: tn, Member: id, Reason: "moved on"})
		if w.do(t, "leave", res, err) {
			w.left[tn+"\x00"+id] = true
		}
	case r < 965 && len(active) > 0: // a customer rating
		res, err := w.cmd.RecordRating(ctx, command.RecordRating{Tenant: tn, RatingReceived: event.RatingReceived{
			Platform: "cxone", InteractionID: fmt.Sprintf("call-%d", w.rnd.Int63()), Agent: w.pick(active),
			Score: 1 + w.rnd.Intn(5), Scale: event.ScaleStars5, Channel: event.InteractionVoice,
			HandleTimeSeconds: w.rnd.Intn(3600), OccurredAt: w.clock.Now().Add(-time.Duration(w.rnd.Intn(3600)) * time.Second),
		}})
		w.do(t, "rating", res, err)
	case r < 975: // policy
		p := event.PolicySet{
			Allowance:    event.Allowance{Amount: 500 + w.rnd.Intn(500), Period: w.pick([]string{event.PeriodDay, event.PeriodWeek, event.PeriodMonth})},
			Values:       values,
			MessageRules: event.MessageRules{MinLength: 20, RejectGeneric: true},
		}
		res, err := w.cmd.SetPolicy(ctx, command.SetPolicy{Tenant: tn, PolicySet: p})
		w.do(t, "policy", res, err)
	default: // boost
		day := w.clock.Now().AddDate(0, 0, w.rnd.Intn(5)-2)
		b := event.AllowanceBoosted{Points: 1 + w.rnd.Intn(50), From: day.Format(time.DateOnly),
			To: day.AddDate(0, 0, w.rnd.Intn(10)).Format(time.DateOnly), Reason: "peak week", By: "k_0123456789ab"}
		if w.rnd.Intn(2) == 0 {
			b.Member = w.pick(w.members[tn])
		} else {
			b.Team = w.pick(teams[:3])
		}
		res, err := w.cmd.BoostAllowance(ctx, command.BoostAllowance{Tenant: tn, AllowanceBoosted: b})
		w.do(t, "boost", res, err)
	}
}

func (w *workload) upsert(t *testing.T, ctx context.Context, tn, id string) {
	t.Helper()
	m := event.MemberUpserted{Member: id, Name: "Member " + id, Team: w.pick(teams), TimeZone: w.pick(zones), Active: true}
	if w.rnd.Intn(3) == 0 {
		if mgr := w.pick(w.members[tn]); mgr != id {
			m.Manager = mgr
		}
	}
	res, err := w.cmd.UpsertMember(ctx, command.UpsertMember{Tenant: tn, MemberUpserted: m})
	if w.do(t, "member", res, err) {
		w.left[tn+"\x00"+id] = false
	}
}

// dump is a whole store: bucket -> key -> value.
type dump map[string]map[string][]byte

func dumpStore(t *testing.T, r *projector.Runner) dump {
	t.Helper()
	d := dump{}
	if err := r.View(func(rd *projector.Reader) error {
		rd.Buckets(func(b, k, v []byte) bool {
			kv := d[string(b)]
			if kv == nil {
				kv = map[string][]byte{}
				d[string(b)] = kv
			}
			kv[string(k)] = bytes.Clone(v)
			return true
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

// equalStores compares two dumps item by item and reports every bucket
// that differs with its first few differences.
func equalStores(t *testing.T, what string, live, other dump) {
	t.Helper()
	var names []string
	for n := range live {
		names = append(names, n)
	}
	for n := range other {
		if _, ok := live[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	items := 0
	for _, n := range names {
		a, b := live[n], other[n]
		if a == nil || b == nil {
			t.Errorf("%s: bucket %q only in one store (live %v, other %v)", what, n, a != nil, b != nil)
			continue
		}
		var diffs []string
		for k, v := range a {
			if w, ok := b[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%q only live", k))
			} else if !bytes.Equal(v, w) {
				diffs = append(diffs, fmt.Sprintf("%q: live %q, other %q", k, v, w))
			}
		}
		for k := range b {
			if _, ok := a[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%q only in the other", k))
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			t.Errorf("%s: bucket %q: %d of %d/%d keys differ, e.g. %v", what, n, len(diffs), len(a), len(b), diffs[:min(len(diffs), 5)])
		}
		items += len(a)
	}
	t.Logf("%s: %d buckets, %d keys compared", what, len(names), items)
}

// TestReplayEquivalence runs a randomised workload of at least
// -replay.events events through the write side while the feed and
// allowance projections follow it live, then builds each model again from
// the first sequence, both as a second runner on a new store and by
// Runner.Rebuild, and compares the stores key by key, the runtime's own
// keys (last applied sequence, counts) included.
func TestReplayEquivalence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := enginetest.NewClock(time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	e := enginetest.Start(t, engine.Config{Now: clock.Now, Modules: modules()})
	start := time.Now()
	w := newWorkload(t, ctx, e, clock)
	for w.events < *replayEvents {
		w.step(t, ctx)
	}
	wrote := time.Since(start)
	e.CaughtUp(t, 60*time.Second)
	caughtUp := time.Since(start)
	last := e.StreamLastSeq(t)
	t.Logf("workload: %d events (seed %d) %v, refused %v; written in %s, projections caught up after %s",
		w.events, *replaySeed, w.counts, w.refused, wrote.Round(time.Millisecond), caughtUp.Round(time.Millisecond))
	if uint64(w.events) != last {
		t.Fatalf("the workload counted %d events, the stream holds %d", w.events, last)
	}

	for _, mod := range modules() {
		name := mod.Projection.Name()
		t.Run(name, func(t *testing.T) {
			live := e.Runners[name]
			liveDump := dumpStore(t, live)
			if n := len(liveDump["_projector"]); n == 0 {
				t.Fatal("the live store has no runtime keys")
			}

			// A second runner on a new store, with its own durable
			// consumer, replays the stream from the first sequence.
			began := time.Now()
			r, err := projector.New(mod.Projection, projector.Config{
				Stream: e.Store, Dir: t.TempDir(), Replica: "replay", Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := projtest.RunTo(r, last, 60*time.Second); err != nil {
				t.Fatalf("replay: %v", err)
			}
			t.Logf("replayed by a new runner in %s", time.Since(began).Round(time.Millisecond))
			if r.LastSeq() != live.LastSeq() {
				t.Errorf("last applied sequence: replay %d, live %d", r.LastSeq(), live.LastSeq())
			}
			equalStores(t, name+": new runner", liveDump, dumpStore(t, r))
			r.Close()

			// Rebuild in place: the swapped-in store equals the live one.
			began = time.Now()
			if err := live.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("rebuilt in %s", time.Since(began).Round(time.Millisecond))
			equalStores(t, name+": rebuild", liveDump, dumpStore(t, live))
		})
	}
}
