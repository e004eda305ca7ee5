package command

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// An aggregate is one consistency boundary of the write side: the events on
// one subject filter (a giver's kudos, one rated interaction, a member's
// nudges). A command is decided on the aggregate's own events and appended
// conditionally on the aggregate being as it was decided on, so commands
// racing on it, in one process or many, are decided one after the other
// (DESIGN.md, decision 4). update is that loop, written once; the decisions
// are pure functions (decideGive, decideRetract, …), tested without NATS.

// maxAttempts bounds how often a command is decided again after a conflict.
const maxAttempts = 16

// folder is the state of an aggregate: it folds the aggregate's events, in
// stream order, the ones read from the stream and the ones this process
// appends alike.
type folder interface {
	fold(r eventstore.Recorded, d event.Data)
}

// aggregate is the write side's copy of an aggregate: its events on filter,
// folded into state up to seq.
type aggregate[S folder] struct {
	filter string
	state  S
	// seq is the last event of the aggregate folded into state.
	seq uint64
	// loaded is set once state reflects the stream up to seq. An aggregate
	// not loaded is read before it is decided on.
	loaded bool
}

// cached is an aggregate kept between commands (a giver's allowance, a
// member's nudges): only what was appended since it was last read is read
// again. Its mutex serialises this process's commands on it; other
// processes are held off by the conditional appends.
type cached[S folder] struct {
	mu sync.Mutex
	aggregate[S]
}

// cachedAggregate returns the cached aggregate of key in m, making it with
// filter and a fresh state on first use.
func cachedAggregate[S folder](s *Service, m map[string]*cached[S], key, filter string, fresh func() S) *cached[S] {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := m[key]
	if c == nil {
		c = &cached[S]{aggregate: aggregate[S]{filter: filter, state: fresh()}}
		m[key] = c
	}
	return c
}

// newEvent is an event a decision appends: its id and data.
type newEvent struct {
	id   string
	data event.Data
}

// decision is what a decide function answers: the events to append,
// atomically and in order, or, for the retry of a command carried out
// before, the outcome it had then (replay.Replayed set; nothing is
// appended). A decision of neither appends nothing and answers an empty
// Result.
type decision struct {
	events []newEvent
	replay Result
}

// appending decides to append events.
func appending(events ...newEvent) decision { return decision{events: events} }

// replaying decides that the command was carried out before, by the event
// id stored on subject at seq.
func replaying(id, subject string, seq uint64) decision {
	return decision{replay: replay(id, subject, seq)}
}

// change is how one command updates an aggregate.
type change[S folder] struct {
	// decide decides the command on the aggregate's state at now. It does
	// no I/O: what it needs from the directory is looked up before.
	decide func(st S, now time.Time) (decision, error)
	// fresh reads the aggregate's newest events before the first decision.
	// Without it a loaded aggregate is decided on as cached: a decision to
	// append is safe on a stale state, since the append is conditional, and
	// a refusal is decided again once on the state read from the stream.
	fresh bool
	// expect is what the append is conditioned on when that is less than
	// the whole aggregate at seq (nil).
	expect func(st S) eventstore.Expectation
	// fields names the command's fields where its events' differ.
	fields fieldNames
	// busy is the refusal once maxAttempts decisions met conflicts.
	busy func() error
}

// update decides a command on aggregate a and appends what it decides:
// it reads (or catches up) a's events on its filter, folds them into its
// state, calls c.decide, and appends the events decided conditionally on a
// being as decided on (Nats-Expected-Last-Subject-Sequence, in its -Subject
// form when the filter is a wildcard: see eventstore.Expectation). When the
// aggregate moved meanwhile it reads what was appended and decides again,
// at most maxAttempts times. Appended events are folded into a's state at
// once. The caller holds a's mutex when a is cached.
func update[S folder](ctx context.Context, s *Service, tenant string, a *aggregate[S], c change[S]) (Result, error) {
	read := false // whether a was read from the stream in this call
	if c.fresh || !a.loaded {
		if err := catchUp(ctx, s, a); err != nil {
			return Result{}, err
		}
		read = true
	}
	for range maxAttempts {
		now := s.now()
		d, err := c.decide(a.state, now)
		if err != nil && !read {
			// A cached state misses what other processes appended (a
			// refund, say): refuse only on the aggregate as it is now.
			if err := catchUp(ctx, s, a); err != nil {
				return Result{}, err
			}
			read = true
			continue
		}
		if err != nil || len(d.events) == 0 {
			return d.replay, err
		}
		expect := eventstore.Expectation{Filter: a.filter, Seq: a.seq}
		if c.expect != nil {
			expect = c.expect(a.state)
		}
		res, err := s.write(ctx, tenant, now, d.events, &expect, a.state.fold)
		if errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrDuplicate) {
			// The aggregate moved, or (a batch holding an id stored
			// before) another process carried the command out: read what
			// was appended, and decide again.
			if err := catchUp(ctx, s, a); err != nil {
				return Result{}, err
			}
			read = true
			continue
		}
		if err != nil {
			return Result{}, storeErr(err, c.fields)
		}
		if !res.Replayed && expect == (eventstore.Expectation{Filter: a.filter, Seq: a.seq}) {
			// Conditioned on the whole aggregate, the events appended are
			// its next ones.
			a.seq = res.Events[len(res.Events)-1].Seq
		}
		return res, nil
	}
	return Result{}, c.busy()
}

// catchUp folds a's events appended since a.seq. Every kudos event read on
// the way goes to the kudos index too, which locates kudos by id.
func catchUp[S folder](ctx context.Context, s *Service, a *aggregate[S]) error {
	recs, seq, err := s.store.Load(ctx, a.filter, a.seq)
	if err != nil {
		return storeErr(err, nil)
	}
	for _, r := range recs {
		d, err := foldRecord(a.state, r)
		if err != nil {
			return fmt.Errorf("command: %s at %d: %w", a.filter, r.Seq, err)
		}
		s.dir.kudos.observe(r.Tenant, r.ID, d, r.Seq)
	}
	a.seq, a.loaded = seq, true
	return nil
}

// foldRecord decodes an event read from the stream and folds it into st.
func foldRecord[S folder](st S, r eventstore.Recorded) (event.Data, error) {
	d, err := r.Decode()
	if err != nil {
		return nil, err
	}
	st.fold(r, d)
	return d, nil
}
