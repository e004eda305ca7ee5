package command

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// kudosRef locates a kudos in the stream: all of a giver's kudos share one
// subject, so a kudos is found by id through this index and read by its
// sequence.
type kudosRef struct {
	giver      string
	seq        uint64
	retractID  string // empty while the kudos stands
	retractSeq uint64
}

// kudosKey and kudosEntry are how the index stores a kudos: fixed-size and
// free of pointers, so that a map of millions of kudos costs the garbage
// collector nothing to scan. Tenants and givers are numbered by the index.
type kudosKey struct {
	tenant uint32
	id     uuid.UUID
}

type kudosEntry struct {
	giver      uint32
	seq        uint64
	retractSeq uint64 // 0 while the kudos stands
	retractID  uuid.UUID
}

// kudosIndex maps kudos ids to where they are stored. It is filled from
// this process's own appends, from every giver aggregate the service loads,
// and, when a lookup misses, by reading the stream's kudos subjects from
// where it last stopped to their end: a kudos given through another process,
// or before this one started, is found then. Nothing follows the stream in
// between, so the write path does not pay for lookups that may never come.
// It costs roughly 80 bytes per kudos.
//
// It locates; it does not decide. Whether a kudos may be retracted is
// decided on the giver's aggregate under a conditional append.
type kudosIndex struct {
	mu      sync.RWMutex
	refs    map[kudosKey]kudosEntry
	queued  []queuedGiven     // given, not yet in refs (observe)
	names   []string          // tenants and givers by number
	numbers map[string]uint32 // and back

	// syncMu serialises reads of the stream; applied is the last stream
	// sequence they reached and log reports kudos events they skip.
	syncMu  sync.Mutex
	applied uint64
	log     *slog.Logger
}

func newKudosIndex() kudosIndex {
	return kudosIndex{refs: map[kudosKey]kudosEntry{}, numbers: map[string]uint32{}, log: slog.New(slog.DiscardHandler)}
}

func (x *kudosIndex) setLogger(log *slog.Logger) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.log = log
}

// number returns name's number, assigning the next one to a new name. The
// caller holds x.mu for writing.
func (x *kudosIndex) number(name string) uint32 {
	if n, ok := x.numbers[name]; ok {
		return n
	}
	n := uint32(len(x.names))
	name = strings.Clone(name)
	x.names = append(x.names, name)
	x.numbers[name] = n
	return n
}

// observe records a given or retracted kudos event. An id that is not a UUID
// cannot name a kudos a command looks up, so it is not recorded.
//
// A kudos given is only queued (a slice append): the map insert, a few
// hundred nanoseconds in a map of millions, is made when the index is next
// read, so a burst of gives does not pay for lookups that may never come.
func (x *kudosIndex) observe(tenant, id string, d event.Data, seq uint64) {
	switch e := d.(type) {
	case event.KudosGiven:
		u, err := uuid.Parse(id)
		if err != nil {
			return
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		x.queued = append(x.queued, queuedGiven{tenant: tenant, giver: e.Giver, id: u, seq: seq})
	case event.KudosRetracted:
		u, err := uuid.Parse(e.KudosID)
		if err != nil {
			return
		}
		// A retraction stored under an id that is not a UUID (none of
		// Plaudit's) still retracts: it is recorded with the zero id.
		r, _ := uuid.Parse(id)
		x.mu.Lock()
		defer x.mu.Unlock()
		x.fold()
		t, ok := x.numbers[tenant]
		if !ok {
			return
		}
		k := kudosKey{tenant: t, id: u}
		if ref, ok := x.refs[k]; ok && ref.retractSeq == 0 {
			ref.retractID, ref.retractSeq = r, seq
			x.refs[k] = ref
		}
	}
}

// queuedGiven is a kudos given that observe has not put in the map yet.
type queuedGiven struct {
	tenant, giver string
	id            uuid.UUID
	seq           uint64
}

// fold puts the queued kudos in the map. The caller holds x.mu for writing.
func (x *kudosIndex) fold() {
	for _, q := range x.queued {
		k := kudosKey{tenant: x.number(q.tenant), id: q.id}
		if _, ok := x.refs[k]; !ok {
			x.refs[k] = kudosEntry{giver: x.number(q.giver), seq: q.seq}
		}
	}
	x.queued = nil
}

func (x *kudosIndex) get(tenant, id string) (kudosRef, bool) {
	u, err := uuid.Parse(id)
	if err != nil {
		return kudosRef{}, false
	}
	x.mu.RLock()
	if len(x.queued) > 0 {
		x.mu.RUnlock()
		x.mu.Lock()
		x.fold()
		x.mu.Unlock()
		x.mu.RLock()
	}
	defer x.mu.RUnlock()
	t, ok := x.numbers[tenant]
	if !ok {
		return kudosRef{}, false
	}
	e, ok := x.refs[kudosKey{tenant: t, id: u}]
	if !ok {
		return kudosRef{}, false
	}
	ref := kudosRef{giver: x.names[e.giver], seq: e.seq, retractSeq: e.retractSeq}
	if e.retractSeq != 0 {
		ref.retractID = e.retractID.String()
	}
	return ref, true
}

// find looks a kudos up. On a miss it first reads the stream's kudos
// events it has not seen yet, so a kudos given a moment ago through another
// process is found.
func (x *kudosIndex) find(ctx context.Context, store *eventstore.Store, tenant, id string) (kudosRef, bool, error) {
	if ref, ok := x.get(tenant, id); ok {
		return ref, true, nil
	}
	if err := x.sync(ctx, store, func() bool { _, ok := x.get(tenant, id); return ok }); err != nil {
		return kudosRef{}, false, err
	}
	ref, ok := x.get(tenant, id)
	return ref, ok, nil
}

// sync reads every kudos event after the last one it read, up to the newest
// in the stream when it starts. found, checked once it holds the sync
// lock, spares the read when a sync that ran meanwhile (for another miss)
// already brought in what the caller looks for.
func (x *kudosIndex) sync(ctx context.Context, store *eventstore.Store, found func() bool) error {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	if found() {
		return nil
	}
	// Scan reads up to the newest kudos event when it starts.
	return store.Scan(ctx, event.KudosFilters, x.applied, math.MaxUint64, func(m jetstream.Msg, seq uint64) error {
		if err := x.observeMsg(m, seq); err != nil {
			x.log.Warn("kudos index: skipping event", "stream_seq", seq, "err", err)
		}
		x.applied = seq
		return nil
	})
}

// observeMsg indexes one message read from the stream. A kudos given is
// indexed from its subject and Nats-Msg-Id alone, without decoding the body:
// the index sees every kudos of every tenant, and decoding each would cost
// as much as the rest of a give.
func (x *kudosIndex) observeMsg(m jetstream.Msg, seq uint64) error {
	tokens := strings.Split(m.Subject(), ".")
	if len(tokens) != 5 {
		return fmt.Errorf("unexpected subject %q", m.Subject())
	}
	tenant, giver := tokens[1], tokens[3]
	if tokens[4] == "given" {
		id := m.Headers().Get(jetstream.MsgIDHeader)
		if id == "" {
			return fmt.Errorf("kudos at %d has no Nats-Msg-Id", seq)
		}
		x.observe(tenant, id, event.KudosGiven{Giver: giver}, seq)
		return nil
	}
	var env struct {
		ID   string `json:"id"`
		Data struct {
			KudosID string `json:"kudos_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(m.Data(), &env); err != nil {
		return err
	}
	x.observe(tenant, env.ID, event.KudosRetracted{KudosID: env.Data.KudosID, Giver: giver}, seq)
	return nil
}
