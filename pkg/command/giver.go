package command

import (
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// giverState is the state of one giver's aggregate, their kudos given and
// retracted (event.GiverFilter): the allowance ledger and the kudos
// retracted. The service caches it per giver and catches it up
// incrementally, so a give reads nothing before it appends.
//
// Only kudos given spend allowance; a retraction can only give points back.
// So a give is conditioned on the giver's given subject alone (a literal
// subject, which the server checks in constant time whatever the giver's
// history), and a give decided without a concurrent retraction is merely
// cautious. A retraction is conditioned on the whole aggregate (both
// subjects), so two retractions of one kudos cannot both pass.
type giverState struct {
	// given is the last kudos given folded in, possibly above the
	// aggregate's seq when this process appended it: every kudos given up
	// to it is in the ledger.
	given     uint64
	ledger    Ledger
	retracted map[string]retraction // by kudos id
}

// retraction is the event that retracted a kudos.
type retraction struct {
	id  string
	seq uint64
}

func (st *giverState) fold(r eventstore.Recorded, d event.Data) {
	switch e := d.(type) {
	case event.KudosGiven:
		// A give conditioned on the given subject alone does not advance
		// the aggregate's seq, so a catch-up reads it again.
		if r.Seq <= st.given {
			return
		}
		st.given = r.Seq
	case event.KudosRetracted:
		if _, ok := st.retracted[e.KudosID]; !ok {
			if st.retracted == nil {
				st.retracted = map[string]retraction{}
			}
			st.retracted[e.KudosID] = retraction{id: r.ID, seq: r.Seq}
		}
	}
	st.ledger.Apply(d)
}

// giver returns the cached aggregate of a giver.
func (s *Service) giver(tenant, giver string) *cached[*giverState] {
	return cachedAggregate(s, s.givers, tenant+"\x00"+giver, event.GiverFilter(tenant, giver),
		func() *giverState { return &giverState{} })
}
