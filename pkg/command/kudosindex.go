package command

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	retractID  string
	retractSeq uint64
}

// kudosIndex maps kudos ids to where they are stored. It is filled from
// this process's own appends, from every giver aggregate the service loads,
// and by tailing the stream's kudos subjects, so kudos given through another
// process are found within moments. It costs roughly 150 bytes per kudos.
//
// It locates; it does not decide. Whether a kudos may be retracted is
// decided on the giver's aggregate under a conditional append.
type kudosIndex struct {
	mu      sync.RWMutex
	refs    map[string]kudosRef // tenant 0 kudos id
	applied atomic.Uint64       // last stream sequence the tail applied
}

func kudosKey(tenant, id string) string { return tenant + "\x00" + id }

// observe records a given or retracted kudos event.
func (x *kudosIndex) observe(tenant, id string, d event.Data, seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch e := d.(type) {
	case event.KudosGiven:
		k := kudosKey(tenant, id)
		if _, ok := x.refs[k]; !ok {
			x.refs[k] = kudosRef{giver: e.Giver, seq: seq}
		}
	case event.KudosRetracted:
		k := kudosKey(tenant, e.KudosID)
		if ref, ok := x.refs[k]; ok && ref.retractID == "" {
			ref.retractID, ref.retractSeq = id, seq
			x.refs[k] = ref
		}
	}
}

func (x *kudosIndex) get(tenant, id string) (kudosRef, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ref, ok := x.refs[kudosKey(tenant, id)]
	return ref, ok
}

// find looks a kudos up. On a miss it waits, briefly, for the tail to reach
// the stream's current end: a kudos given a moment ago through another
// process is then found.
func (x *kudosIndex) find(ctx context.Context, store *eventstore.Store, tenant, id string) (kudosRef, bool) {
	if ref, ok := x.get(tenant, id); ok {
		return ref, true
	}
	var end uint64
	for _, f := range event.KudosFilters {
		if last, err := store.Last(ctx, f); err == nil {
			end = max(end, last.Seq)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for x.applied.Load() < end && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	return x.get(tenant, id)
}

// run tails every kudos given and retracted until ctx ends.
func (x *kudosIndex) run(ctx context.Context, store *eventstore.Store, log *slog.Logger) error {
	err := tail(ctx, store, event.KudosFilters, func(m jetstream.Msg, seq uint64) {
		if err := x.observeMsg(m, seq); err != nil {
			log.Warn("kudos index: skipping event", "stream_seq", seq, "err", err)
		}
		x.applied.Store(seq)
	})
	if err != nil {
		return fmt.Errorf("kudos index: %w", err)
	}
	return nil
}

// observeMsg indexes one tailed message. A kudos given is indexed from its
// subject and Nats-Msg-Id alone, without decoding the body: the tail sees
// every kudos of every tenant, and decoding each would cost as much as the
// rest of a give.
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
