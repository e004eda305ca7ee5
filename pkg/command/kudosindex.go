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

// kudosIndex maps kudos ids to where they are stored. It is filled from
// this process's own appends, from every giver aggregate the service loads,
// and, when a lookup misses, by reading the stream's kudos subjects from
// where it last stopped to their end: a kudos given through another process,
// or before this one started, is found then. Nothing follows the stream in
// between, so the write path does not pay for lookups that may never come.
//
// Its entries are kept by a kudosTable: in memory, or, in plauditd, on disk
// (kudosDisk), so that the heap does not grow with the kudos a stream holds.
//
// It locates; it does not decide. Whether a kudos may be retracted is
// decided on the giver's aggregate under a conditional append.
type kudosIndex struct {
	mu     sync.Mutex
	table  kudosTable
	queued []queuedKudos // observed, not yet in the table

	// syncMu serialises reads of the stream; applied is the last stream
	// sequence they reached. log reports kudos events they skip, and
	// writes to the table that fail.
	syncMu  sync.Mutex
	applied uint64
	log     *slog.Logger
}

// foldAt is how many observed kudos events wait for a lookup before
// observe writes them to the table itself, so that a run of gives with no
// lookups does not hold them all in memory.
const foldAt = 4096

func newKudosIndex(table kudosTable) *kudosIndex {
	return &kudosIndex{table: table, log: slog.New(slog.DiscardHandler)}
}

// setLogger sets the log of both sync and observe, so it holds both locks.
func (x *kudosIndex) setLogger(log *slog.Logger) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.log = log
}

// queuedKudos is a kudos event observe has not written to the table yet:
// kudos id given by giver, or its retraction retractID.
type queuedKudos struct {
	tenant, giver string
	id, retractID uuid.UUID
	retraction    bool
	seq           uint64
}

// observe records a given or retracted kudos event. An id that is not a UUID
// cannot name a kudos a command looks up, so it is not recorded.
//
// The event is only queued (a slice append): it is written to the table
// when the index is next read, or once foldAt events wait, so a burst of
// gives does not pay for lookups that may never come.
func (x *kudosIndex) observe(tenant, id string, d event.Data, seq uint64) {
	q := queuedKudos{tenant: tenant, seq: seq}
	var err error
	switch e := d.(type) {
	case event.KudosGiven:
		q.giver = e.Giver
		q.id, err = uuid.Parse(id)
	case event.KudosRetracted:
		q.id, err = uuid.Parse(e.KudosID)
		q.retraction = true
		// A retraction stored under an id that is not a UUID (none of
		// Plaudit's) still retracts: it is recorded with the zero id.
		q.retractID, _ = uuid.Parse(id)
	default:
		return
	}
	if err != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.queued = append(x.queued, q)
	if len(x.queued) >= foldAt {
		if err := x.fold(); err != nil {
			// The events stay queued, and the next lookup reports it.
			x.log.Warn("kudos index: writing observed kudos", "err", err)
		}
	}
}

// fold writes the queued events to the table, in the order observed. The
// caller holds x.mu.
func (x *kudosIndex) fold() error {
	if len(x.queued) == 0 {
		return nil
	}
	if err := x.table.write(x.queued); err != nil {
		return fmt.Errorf("command: kudos index: %w", err)
	}
	x.queued = x.queued[:0]
	return nil
}

// get looks a kudos up in what the index holds.
func (x *kudosIndex) get(tenant, id string) (kudosRef, bool, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return kudosRef{}, false, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.fold(); err != nil {
		return kudosRef{}, false, err
	}
	return x.table.get(tenant, u)
}

// find looks a kudos up. On a miss it first reads the stream's kudos
// events it has not seen yet, so a kudos given a moment ago through another
// process is found.
func (x *kudosIndex) find(ctx context.Context, store *eventstore.Store, tenant, id string) (kudosRef, bool, error) {
	if ref, ok, err := x.get(tenant, id); ok || err != nil {
		return ref, ok, err
	}
	if err := x.sync(ctx, store, func() bool { _, ok, _ := x.get(tenant, id); return ok }); err != nil {
		return kudosRef{}, false, err
	}
	return x.get(tenant, id)
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
	switch tokens[4] {
	case "given", "retracted":
	default:
		return fmt.Errorf("unexpected subject %q", m.Subject())
	}
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
