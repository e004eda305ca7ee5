package command

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// maxAttempts bounds how often a command is decided again after a conflict.
const maxAttempts = 16

// Result is what a command appended. Replayed is true when the command had
// been carried out before and Events are that earlier outcome: nothing new
// was stored.
type Result struct {
	Events   []eventstore.Appended
	Replayed bool
}

// Service decides commands. It is safe for concurrent use; several Services
// (in one process or many) may share a stream, conditional appends keep them
// consistent.
type Service struct {
	store *eventstore.Store
	dir   *Directory
	now   func() time.Time

	mu     sync.Mutex
	givers map[string]*giverState
	nudges map[string]*nudgeState
}

// giverState caches one giver's allowance aggregate: the ledger and how far
// into the stream it reflects. The mutex serialises this process's commands
// for the giver; other processes are held off by conditional appends.
//
// Only kudos given spend allowance; a retraction can only give points back.
// So a give is conditioned on the giver's given subject alone (a literal
// subject, which the server checks in constant time whatever the giver's
// history), and a give decided without a concurrent retraction is merely
// cautious. A retraction is conditioned on the whole aggregate (both
// subjects), so two retractions of one kudos cannot both pass.
type giverState struct {
	mu     sync.Mutex
	loaded bool
	// seq is the last event of the whole aggregate folded in: every given
	// and retracted event up to it is in the ledger.
	seq uint64
	// given is the last kudos given folded in, possibly above seq when this
	// process appended it: every kudos given up to it is in the ledger.
	given  uint64
	ledger Ledger
}

// NewService returns a Service. now is the clock (time.Now in production,
// injectable in tests).
func NewService(store *eventstore.Store, dir *Directory, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, dir: dir, now: now, givers: map[string]*giverState{}, nudges: map[string]*nudgeState{}}
}

// Directory is the reference data the service validates against.
func (s *Service) Directory() *Directory { return s.dir }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// idNamespace scopes name-based event ids.
var idNamespace = uuid.MustParse("6f1b7c1e-8d3a-4c55-9a8e-3f4f0d6b1c2a")

// eventID returns a time-ordered random id, or, when the command carries a
// seed (its idempotency key, or a natural key such as a rating's
// interaction), the same id for every retry of it.
func eventID(seed string) string {
	if seed == "" {
		return uuid.Must(uuid.NewV7()).String()
	}
	return uuid.NewSHA1(idNamespace, []byte(seed)).String()
}

func (s *Service) giver(tenant, id string) *giverState {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tenant + "\x00" + id
	g := s.givers[k]
	if g == nil {
		g = &giverState{}
		s.givers[k] = g
	}
	return g
}

// catchUp folds the giver's events appended since the state was last read.
// Kudos given at or below g.given are in the ledger already.
func (s *Service) catchUp(ctx context.Context, g *giverState, filter string) error {
	recs, seq, err := s.store.Load(ctx, filter, g.seq)
	if err != nil {
		return storeErr(err)
	}
	for _, r := range recs {
		d, err := r.Decode()
		if err != nil {
			return fmt.Errorf("command: giver aggregate at %d: %w", r.Seq, err)
		}
		s.dir.kudos.observe(r.Tenant, r.ID, d, r.Seq)
		if _, given := d.(event.KudosGiven); given {
			if r.Seq <= g.given {
				continue
			}
			g.given = r.Seq
		}
		g.ledger.Apply(d)
	}
	g.seq, g.loaded = seq, true
	return nil
}

// storeErr maps event store errors onto the package's.
func storeErr(err error) error {
	switch {
	case errors.Is(err, eventstore.ErrUnavailable):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, eventstore.ErrConflict):
		return refuse(ErrConflict, "", "too much contention on this aggregate; retry")
	}
	var serr *schema.Error
	if errors.As(err, &serr) {
		return &ValidationError{Field: serr.Field, Reason: serr.Reason}
	}
	return err
}

// appendOne appends a single event and shows it at once to the directory
// or the kudos index, whichever keeps it. A duplicate id is the retry of an
// append that already happened: its original sequence is returned as a
// replay.
func (s *Service) appendOne(ctx context.Context, tenant, id string, at time.Time, data event.Data, expect *eventstore.Expectation) (Result, error) {
	env, err := event.New(tenant, id, at, data)
	if err != nil {
		return Result{}, err
	}
	subject := data.AggregateSubject(tenant, id)
	a, err := s.store.Append(ctx, eventstore.Pending{Event: env, Subject: subject, Expect: expect})
	var dup *eventstore.DuplicateError
	if errors.As(err, &dup) {
		return replay(id, subject, dup.Seq), nil
	}
	if err != nil {
		return Result{}, err
	}
	switch data.(type) {
	case event.KudosGiven, event.KudosRetracted:
		s.dir.kudos.observe(tenant, id, data, a.Seq)
	case event.MemberUpserted, event.MemberLeft, event.PolicySet, event.AllowanceBoosted, event.PreferencesSet:
		if err := s.dir.Observe(eventstore.Recorded{Envelope: env, Subject: a.Subject, Seq: a.Seq}); err != nil {
			return Result{}, err
		}
	}
	return Result{Events: []eventstore.Appended{a}}, nil
}

// activeMember looks a member up for field, refusing unknown and inactive ones.
func (s *Service) activeMember(tenant, id, field string) (Member, error) {
	if !event.ValidID(id) {
		return Member{}, invalid(field, "%q is not a valid member id (lower-case letters, digits, '-' and '_', at most 64)", id)
	}
	m, ok := s.dir.Member(tenant, id)
	if !ok {
		return Member{}, invalid(field, "no member %q in this tenant", id)
	}
	if !m.Active {
		return Member{}, invalid(field, "member %q is not active", id)
	}
	return m, nil
}
