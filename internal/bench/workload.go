package bench

// The workload: a realistic history for a stream, fast. A policy, the
// members of a tenant, then kudos given (one to three recipients, company
// values, a few private), reactions to recent kudos and the odd
// retraction, spread over a year.
//
// Every event is built with event.New and published, as the event store
// stores it, on the subject its envelope names (Envelope.StreamSubject),
// with its id as the Nats-Msg-Id. Only the expectations and the wait for
// each acknowledgement are left out, so that a million events take
// seconds rather than minutes. Nothing here checks an allowance: it is not
// a load generator for the write side.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the members' time zones resolve on hosts without zoneinfo

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Config shapes a workload. The zero value of a field takes its default.
type Config struct {
	// Tenant owns every event; auth.BootstrapTenant by default, so that the
	// bootstrap admin key of an engine reads them.
	Tenant string
	// Members are upserted first, ten to a team (default 10,000).
	Members int
	// Events follow the members: kudos given, reactions, retractions
	// (default 1,000,000).
	Events int
	// End is the time of the last event (default now); the events are
	// spread evenly over the year before it.
	End time.Time
	// Seed makes the choices repeatable (default 1).
	Seed uint64
}

// Environment variables that size the benchmarks' workload. make bench
// leaves them unset and measures the defaults; a quick run sets a smaller
// PLAUDIT_BENCH_EVENTS.
const (
	EnvEvents  = "PLAUDIT_BENCH_EVENTS"  // events after the members; default 1,000,000
	EnvMembers = "PLAUDIT_BENCH_MEMBERS" // default 10,000
)

// ConfigFromEnv is the default workload, sized by EnvEvents and EnvMembers.
func ConfigFromEnv() (Config, error) {
	var cfg Config
	var errs []error
	for _, v := range []struct {
		name string
		dst  *int
	}{{EnvEvents, &cfg.Events}, {EnvMembers, &cfg.Members}} {
		s, ok := os.LookupEnv(v.name)
		if !ok || s == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive number", v.name, s))
			continue
		}
		*v.dst = n
	}
	if cfg.Members == 1 {
		errs = append(errs, fmt.Errorf("%s: a kudos needs at least 2 members", EnvMembers))
	}
	return withDefaults(cfg), errors.Join(errs...)
}

// Policy is the policy the workload sets: twenty points a week, five values.
func Policy() event.PolicySet {
	p := event.DefaultPolicy()
	p.Allowance = event.Allowance{Amount: 20, Period: event.PeriodWeek}
	p.Values = []string{"ownership", "teamwork", "customer-first", "craft", "courage"}
	return p
}

// Member is the id of the i-th member.
func Member(i int) string { return "m-" + strconv.Itoa(100000+i) }

// Team is the team of the i-th member.
func Team(i int) string { return "team-" + strconv.Itoa(i/10) }

// Mix of the events after the members, in percent; the rest are kudos.
const (
	ReactionPercent   = 12
	RetractionPercent = 1
)

var zones = []string{"Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"}

var emojis = []string{"🎉", "👏", "🙌", "❤️", "🚀", "💯"}

var messages = []string{
	"Thanks for untangling the flaky deploy pipeline before Friday's release",
	"Great pairing session today, the new onboarding doc is so much clearer",
	"You stayed late to help the support team with the outage, and it showed: customers noticed how quickly we answered.",
	"Brilliant demo",
	"Thank you for reviewing forty pull requests this week without a single grumble, and for the careful comments on each of them. The codebase is better for it and so are we.",
	"Cheers for covering my on-call shift",
	"The quarterly numbers deck was crisp, clear and honest about the risks",
	"Kudos for mentoring the interns through their first production change",
}

// Result is what a workload stored.
type Result struct {
	Members, Kudos, Reactions, Retractions int
	// First and Last are the stream sequences of the first and last event.
	First, Last uint64
}

// Total is the number of events stored, the policy included.
func (r Result) Total() int { return 1 + r.Members + r.Kudos + r.Reactions + r.Retractions }

// maxPending bounds the publishes awaiting an acknowledgement.
const maxPending = 8192

// Publish stores the workload in the event stream nc reaches, which it
// creates when missing, and returns once every event is acknowledged.
// progress, when not nil, is called with the number of events stored so far
// every 100,000 events. Publish is not safe to call concurrently on one
// stream with other writers: it checks the stream grew by exactly what it
// published.
func Publish(ctx context.Context, nc *nats.Conn, cfg Config, progress func(done int)) (Result, error) {
	cfg = withDefaults(cfg)
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		return Result{}, err
	}
	before, err := st.Stream().Info(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("workload: %w", err)
	}
	var (
		asyncErr  atomic.Pointer[error]
		asyncErrs atomic.Int64
	)
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxPending),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			asyncErrs.Add(1)
			err = fmt.Errorf("workload: publish on %s: %w", m.Subject, err)
			asyncErr.CompareAndSwap(nil, &err)
		}))
	if err != nil {
		return Result{}, fmt.Errorf("workload: %w", err)
	}
	res, err := publishAll(ctx, js, cfg, progress, func() error {
		if p := asyncErr.Load(); p != nil {
			return *p
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(2 * time.Minute):
		return res, fmt.Errorf("workload: %d acknowledgements still pending after two minutes", js.PublishAsyncPending())
	}
	if p := asyncErr.Load(); p != nil {
		return res, fmt.Errorf("%w (and %d more)", *p, asyncErrs.Load()-1)
	}
	after, err := st.Stream().Info(ctx)
	if err != nil {
		return res, fmt.Errorf("workload: %w", err)
	}
	if got, want := after.State.LastSeq-before.State.LastSeq, uint64(res.Total()); got != want {
		return res, fmt.Errorf("workload: the stream grew by %d events, want %d (another writer?)", got, want)
	}
	res.First, res.Last = before.State.LastSeq+1, after.State.LastSeq
	return res, nil
}

// spec is one event as the generator decides it.
type spec struct {
	id string
	at time.Time
	d  event.Data
}

// chunk is a run of events encoded together; done closes when msgs (or
// err) is ready.
type chunk struct {
	specs []spec
	msgs  []*nats.Msg
	err   error
	done  chan struct{}
}

const chunkSize = 512

// publishAll generates the events in one goroutine, encodes them in chunks
// on every core (building and checking an envelope costs more than storing
// it) and publishes the chunks in stream order from this one. failed
// reports an asynchronous publish failure.
func publishAll(ctx context.Context, js jetstream.JetStream, cfg Config, progress func(int), failed func() error) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var res Result
	ordered := make(chan *chunk, 2*runtime.GOMAXPROCS(0))
	work := make(chan *chunk, 2*runtime.GOMAXPROCS(0))
	go func() {
		defer close(ordered)
		defer close(work)
		c := &chunk{done: make(chan struct{})}
		send := func() bool {
			select {
			case work <- c:
			case <-ctx.Done():
				return false
			}
			select {
			case ordered <- c:
			case <-ctx.Done():
				return false
			}
			c = &chunk{specs: make([]spec, 0, chunkSize), done: make(chan struct{})}
			return true
		}
		_ = newGenerator(cfg).run(func(id string, at time.Time, d event.Data) error {
			switch d.(type) {
			case event.MemberUpserted:
				res.Members++
			case event.KudosGiven:
				res.Kudos++
			case event.ReactionAdded:
				res.Reactions++
			case event.KudosRetracted:
				res.Retractions++
			}
			c.specs = append(c.specs, spec{id, at, d})
			if len(c.specs) == chunkSize && !send() {
				return ctx.Err()
			}
			return nil
		})
		if len(c.specs) > 0 {
			send()
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for c := range work {
				c.msgs, c.err = encode(cfg.Tenant, c.specs)
				close(c.done)
			}
		}()
	}
	done := 0
	for c := range ordered {
		<-c.done
		if c.err != nil {
			return Result{}, c.err
		}
		if err := failed(); err != nil {
			return Result{}, err
		}
		for _, m := range c.msgs {
			if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
				return Result{}, fmt.Errorf("workload: publish: %w", err)
			}
			if done++; progress != nil && done%100_000 == 0 {
				progress(done)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	// The generator has stopped and counted: closing ordered, after it
	// returned, orders its writes to res before this read.
	return res, nil
}

// encode builds the envelopes and their messages, as the event store would
// append them.
func encode(tenant string, specs []spec) ([]*nats.Msg, error) {
	msgs := make([]*nats.Msg, len(specs))
	for i, sp := range specs {
		env, err := event.New(tenant, sp.id, sp.at, sp.d)
		if err != nil {
			return nil, err
		}
		subject, err := env.StreamSubject()
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(env)
		if err != nil {
			return nil, err
		}
		m := nats.NewMsg(subject)
		m.Data = body
		m.Header.Set(jetstream.MsgIDHeader, env.ID)
		msgs[i] = m
	}
	return msgs, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Tenant == "" {
		cfg.Tenant = auth.BootstrapTenant
	}
	if cfg.Members <= 0 {
		cfg.Members = 10_000
	}
	if cfg.Events <= 0 {
		cfg.Events = 1_000_000
	}
	if cfg.End.IsZero() {
		cfg.End = time.Now()
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	return cfg
}

// recent is a kudos reactions and retractions may refer to.
type recent struct {
	id, period string
	giver      int
	spent      int
	retracted  bool
}

// generator decides the events. Reactions and retractions refer to kudos
// among the last len(ring) given, as they mostly do in a live tenant.
type generator struct {
	cfg    Config
	rng    *rand.Rand
	policy event.PolicySet
	locs   []*time.Location
	ring   [4096]recent
	given  int
}

func newGenerator(cfg Config) *generator {
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)), policy: Policy()}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			loc = time.UTC
		}
		g.locs = append(g.locs, loc)
	}
	return g
}

// run emits the workload's events in stream order, each with its id.
func (g *generator) run(emit func(id string, at time.Time, d event.Data) error) error {
	const span = 365 * 24 * time.Hour
	start := g.cfg.End.Add(-span)
	if err := emit(newID(), start, g.policy); err != nil {
		return err
	}
	for i := range g.cfg.Members {
		err := emit(newID(), start, event.MemberUpserted{
			Member: Member(i), Name: "Member " + strconv.Itoa(i), Team: Team(i), Manager: Member(i / 10 * 10),
			TimeZone: zones[i%len(zones)], Active: true,
		})
		if err != nil {
			return err
		}
	}
	step := span / time.Duration(g.cfg.Events)
	for i := range g.cfg.Events {
		at := start.Add(time.Duration(i+1) * step)
		id := newID()
		var d event.Data
		switch r := g.rng.IntN(100); {
		case g.given == 0 || r >= RetractionPercent+ReactionPercent:
			d = g.kudos(id, at)
		case r < RetractionPercent:
			d = g.retraction(id, at)
		default:
			d = g.reaction()
		}
		if err := emit(id, at, d); err != nil {
			return err
		}
	}
	return nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (g *generator) member() int { return g.rng.IntN(g.cfg.Members) }

func (g *generator) kudos(id string, at time.Time) event.Data {
	giver := g.member()
	n := 1
	switch r := g.rng.IntN(10); {
	case r >= 9:
		n = 3
	case r >= 6:
		n = 2
	}
	n = min(n, g.cfg.Members-1)
	recipients := make([]string, 0, n)
	for len(recipients) < n {
		r := g.member()
		if r == giver || slices.Contains(recipients, Member(r)) {
			continue
		}
		recipients = append(recipients, Member(r))
	}
	values := []string{}
	for range g.rng.IntN(3) {
		v := g.policy.Values[g.rng.IntN(len(g.policy.Values))]
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	points := 1 + g.rng.IntN(3)
	visibility := event.Public
	if g.rng.IntN(20) == 0 {
		visibility = event.Private
	}
	d := event.KudosGiven{
		Giver: Member(giver), Recipients: recipients, Message: messages[g.rng.IntN(len(messages))],
		Values: values, Points: points, Visibility: visibility, Channel: event.ChannelAPI,
		Period: command.PeriodAt(g.policy.Allowance.Period, at, g.locs[giver%len(g.locs)]).Key,
		Spent:  points * len(recipients),
	}
	g.ring[g.given%len(g.ring)] = recent{id: id, giver: giver, period: d.Period, spent: d.Spent}
	g.given++
	return d
}

func (g *generator) pick() *recent {
	return &g.ring[g.rng.IntN(min(g.given, len(g.ring)))]
}

func (g *generator) reaction() event.Data {
	k := g.pick()
	return event.ReactionAdded{KudosID: k.id, Member: Member(g.member()), Emoji: emojis[g.rng.IntN(len(emojis))]}
}

// retraction withdraws a recent kudos, refunding it as the write side does:
// only within the period it was spent in. A kudos retracted before gets a
// new kudos instead.
func (g *generator) retraction(id string, at time.Time) event.Data {
	k := g.pick()
	if k.retracted {
		return g.kudos(id, at)
	}
	k.retracted = true
	refunded := 0
	if command.PeriodAt(g.policy.Allowance.Period, at, g.locs[k.giver%len(g.locs)]).Key == k.period {
		refunded = k.spent
	}
	return event.KudosRetracted{
		KudosID: k.id, Giver: Member(k.giver), By: Member(k.giver), ByRole: event.ByGiver,
		Reason: "sent to the wrong person", Period: k.period, Refunded: refunded,
	}
}

// EnvWriteRate sets the pace of the writes under the reads of the read
// benchmarks' "writes" variant, in events per second (default
// DefaultWriteRate).
const EnvWriteRate = "PLAUDIT_BENCH_WRITE_RATE"

// DefaultWriteRate is a busy tenant's writes: kudos and reactions.
const DefaultWriteRate = 500

// WriteRate is the pace of the writes under the reads.
func WriteRate() (int, error) { return rateFromEnv(EnvWriteRate, DefaultWriteRate, "events") }

// WriteLive publishes, at rate events per second until ctx ends, new
// kudos among cfg's members and reactions to them, timed now, as the
// workload publishes its events: what a live tenant adds while it is read.
// It returns how many events it published, and the first failure.
func WriteLive(ctx context.Context, js jetstream.JetStream, cfg Config, rate int) (int, error) {
	cfg = withDefaults(cfg)
	cfg.Seed += 0x5eed // other choices than the fixture's
	g := newGenerator(cfg)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
		id, at := newID(), time.Now()
		var d event.Data
		if g.given == 0 || g.rng.IntN(100) >= ReactionPercent {
			d = g.kudos(id, at)
		} else {
			d = g.reaction()
		}
		msgs, err := encode(cfg.Tenant, []spec{{id, at, d}})
		if err != nil {
			return n, err
		}
		// A write begun is seen through, so that n is what the stream got.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_, err = js.PublishMsg(pctx, msgs[0])
		cancel()
		if err != nil {
			return n, fmt.Errorf("workload: live write: %w", err)
		}
		n++
	}
}
