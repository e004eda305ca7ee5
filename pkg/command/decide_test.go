package command

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// The decide functions are tested here as given events / when a command /
// then the events decided or the refusal, without NATS: the events given
// are folded into the state with the fold update uses.

// tenant is the tenant of the decision tests.
const tenant = "acme"

// history is the events given of one aggregate, stored at sequences 1, 2, …
// in order.
type history []stored

// stored is one event given: its id, when it was stored, and its data.
type stored struct {
	id   string
	at   time.Time
	data event.Data
}

// given folds h into st as catchUp does, and returns st.
func given[S folder](t *testing.T, st S, h history) S {
	t.Helper()
	for i, e := range h {
		env, err := event.New(tenant, e.id, e.at, e.data)
		if err != nil {
			t.Fatalf("given event %d: %v", i+1, err)
		}
		r := eventstore.Recorded{Envelope: env, Subject: e.data.AggregateSubject(tenant, e.id), Seq: uint64(i + 1)}
		if _, err := foldRecord(st, r); err != nil {
			t.Fatalf("fold given event %d: %v", i+1, err)
		}
	}
	return st
}

// then is what a case expects of a decision: the events appended, the
// event replayed, or a refusal.
type then struct {
	// events are the events decided, in order; ids, when set, their ids.
	events []event.Data
	ids    []string
	// replay is the sequence of the event a replay answers with.
	replay uint64
	// refused is the error the decision must match (errors.Is); invalid,
	// the field of the *ValidationError it must be.
	refused error
	invalid string
	// field is the field a refusal (a *StateError) names, when set.
	field string
}

// check fails the test unless decision d, err is what w expects.
func (w then) check(t *testing.T, d decision, err error) {
	t.Helper()
	switch {
	case w.invalid != "":
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != w.invalid {
			t.Fatalf("decided %+v, %v; want a *ValidationError on %q", d, err, w.invalid)
		}
		return
	case w.refused != nil:
		if !errors.Is(err, w.refused) {
			t.Fatalf("decided %+v, %v; want %v", d, err, w.refused)
		}
		var se *StateError
		if w.field != "" && (!errors.As(err, &se) || se.Field != w.field) {
			t.Errorf("refusal %v names another field than %q", err, w.field)
		}
		return
	case err != nil:
		t.Fatalf("refused: %v", err)
	case w.replay != 0:
		if !d.replay.Replayed || len(d.events) != 0 || len(d.replay.Events) != 1 || d.replay.Events[0].Seq != w.replay {
			t.Fatalf("decided %+v; want a replay of the event at %d", d, w.replay)
		}
		return
	}
	if d.replay.Replayed {
		t.Fatalf("decided a replay of %+v; want events %+v", d.replay, w.events)
	}
	var got []event.Data
	for i, e := range d.events {
		got = append(got, e.data)
		if i < len(w.ids) && e.id != w.ids[i] {
			t.Errorf("event %d has id %s, want %s", i, e.id, w.ids[i])
		}
	}
	if !reflect.DeepEqual(got, w.events) {
		t.Errorf("decided events\n%+v\nwant\n%+v", got, w.events)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// member is an active member of the tests' tenant.
func member(id, team, zone string) Member {
	return Member{MemberUpserted: event.MemberUpserted{Member: id, Name: "Member " + id, Team: team, TimeZone: zone, Active: true}}
}
