package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/schema"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

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
	givers map[string]*cached[*giverState]
	nudges map[string]*cached[*nudgeState]

	ratings *ratingIndex
}

// NewService returns a Service. now is the clock (time.Now in production,
// injectable in tests).
func NewService(store *eventstore.Store, dir *Directory, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, dir: dir, now: now,
		givers: map[string]*cached[*giverState]{}, nudges: map[string]*cached[*nudgeState]{},
		ratings: newRatingIndex(dir.ratingTable())}
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

// EventID is the id of the event a command appends when it carries seed
// as its IDSeed (the first, when it appends several): an integration
// that derives a kudos' seed from what it knows of it (a chat reaction)
// finds that kudos again by it.
func EventID(seed string) string { return eventID(seed) }

// storeErr maps event store errors onto the package's. An event its schema
// refuses is a *ValidationError naming the command's field (fields).
func storeErr(err error, fields fieldNames) error {
	switch {
	case errors.Is(err, eventstore.ErrUnavailable):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, eventstore.ErrConflict):
		return refuse(ErrConflict, "", "too much contention on this aggregate; retry")
	}
	var serr *schema.Error
	if errors.As(err, &serr) {
		return &ValidationError{Field: fields.of(serr.Field), Reason: serr.Reason}
	}
	return err
}

// appendOne appends a single event, conditionally on expect when it is not
// nil; see write.
func (s *Service) appendOne(ctx context.Context, tenant, id string, at time.Time, data event.Data, expect *eventstore.Expectation) (Result, error) {
	return s.write(ctx, tenant, at, []newEvent{{id: id, data: data}}, expect, nil)
}

// appendNew appends data with no condition, at the service's clock, as the
// event id, and maps the store's errors with fields (storeErr): for the
// directory's events, which the directory, not their own aggregate,
// decides on.
func (s *Service) appendNew(ctx context.Context, tenant, id string, data event.Data, fields fieldNames) (Result, error) {
	res, err := s.appendOne(ctx, tenant, id, s.now(), data, nil)
	return res, storeErr(err, fields)
}

// write appends events at time at, atomically, the first conditionally on
// expect when it is not nil. Each appended event is shown at once to the
// directory or the kudos index, whichever keeps it, and to fold when it is
// not nil. A single event whose id is stored already is the retry of an
// append that happened: its original sequence is returned as a replay.
func (s *Service) write(ctx context.Context, tenant string, at time.Time, events []newEvent, expect *eventstore.Expectation,
	fold func(eventstore.Recorded, event.Data)) (Result, error) {
	if len(events) == 1 {
		// One event goes without a batch: most commands append one, and
		// the give path is measured.
		p, err := pending(tenant, at, events[0], expect)
		if err != nil {
			return Result{}, err
		}
		a, err := s.store.Append(ctx, p)
		if err != nil {
			if dup := (*eventstore.DuplicateError)(nil); errors.As(err, &dup) {
				return replay(p.Event.ID, p.Subject, dup.Seq), nil
			}
			return Result{}, err
		}
		if err := s.appended(p, a, events[0].data, fold); err != nil {
			return Result{}, err
		}
		return Result{Events: []eventstore.Appended{a}}, nil
	}
	batch := make([]eventstore.Pending, len(events))
	for i, e := range events {
		p, err := pending(tenant, at, e, nil)
		if err != nil {
			return Result{}, err
		}
		batch[i] = p
	}
	batch[0].Expect = expect
	out, err := s.store.AppendBatch(ctx, batch)
	if err != nil {
		return Result{}, err
	}
	for i, a := range out {
		if err := s.appended(batch[i], a, events[i].data, fold); err != nil {
			return Result{}, err
		}
	}
	return Result{Events: out}, nil
}

// pending makes e an event ready to append on its aggregate's subject.
func pending(tenant string, at time.Time, e newEvent, expect *eventstore.Expectation) (eventstore.Pending, error) {
	env, err := event.New(tenant, e.id, at, e.data)
	if err != nil {
		return eventstore.Pending{}, err
	}
	p := eventstore.Pending{Event: env, Subject: e.data.AggregateSubject(tenant, e.id), Expect: expect}
	if _, id, ok := ratingOf(e.data); ok {
		p.Header = map[string]string{event.InteractionHeader: event.InteractionKey(id)}
	}
	return p, nil
}

// appended shows an event just stored to the kudos index or the directory,
// whichever keeps it, and to fold.
func (s *Service) appended(p eventstore.Pending, a eventstore.Appended, data event.Data, fold func(eventstore.Recorded, event.Data)) error {
	rec := eventstore.Recorded{Envelope: p.Event, Subject: a.Subject, Seq: a.Seq}
	switch data.(type) {
	case event.KudosGiven, event.KudosRetracted:
		s.dir.kudos.observe(rec.Tenant, rec.ID, data, a.Seq)
	case event.MemberUpserted, event.MemberLeft, event.PolicySet, event.AllowanceBoosted, event.PreferencesSet:
		if err := s.dir.Observe(rec); err != nil {
			return err
		}
	}
	if fold != nil {
		fold(rec, data)
	}
	return nil
}

// activeMember looks a member up for field, refusing unknown and inactive
// ones. An id that is no member id is simply unknown.
func (s *Service) activeMember(tenant, id, field string) (Member, error) {
	m, ok := s.dir.Member(tenant, id)
	if !ok {
		return Member{}, invalid(field, "no member %q in this tenant", id)
	}
	if !m.Active {
		return Member{}, invalid(field, "member %q is not active", id)
	}
	return m, nil
}

func replay(id, subject string, seq uint64) Result {
	return Result{Events: []eventstore.Appended{{ID: id, Subject: subject, Seq: seq}}, Replayed: true}
}

// storable reports whether the stream would take env: nil, or the
// *ValidationError its schema's refusal makes, naming the command's field.
// The event store checks every event it appends; this is for the paths
// that must know before (a refusal for another reason, a batch whose
// failing member must be named).
func storable(env event.Envelope, fields fieldNames) error {
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	return storeErr(schema.Check(b), fields)
}
