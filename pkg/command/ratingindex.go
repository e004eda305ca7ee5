package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// The ratings of one platform share event.RatingShards shard subjects per
// tenant, so no subject says whether an interaction was rated. The
// ratingIndex says it: it maps every rated interaction to the sequences of
// its events, and every shard to the last sequence it knows of it.
//
// It locates; it does not decide alone. A rating command is decided on the
// interaction's events as the index locates them and appended conditionally
// on its shard's last sequence being the one the index knows
// (Nats-Expected-Last-Subject-Sequence-Subject: the shard's filter). That
// holds only if no event was appended on the shard since, so the index knew
// every event of the shard, the interaction's among them: the decision was
// made on the interaction's complete history, as with a subject per
// interaction. A rating received is conditioned on the shard's literal
// received subject alone (Nats-Expected-Last-Subject-Sequence), which the
// server checks much faster than a wildcard: whether an interaction was
// rated depends on the shard's ratings received only, and every append on
// that subject is conditioned on it, so the index knows every one up to the
// sequence it conditions on. When another process appended on the shard first, the append
// fails, the index reads the shard's new events, and the command is decided
// again.
//
// The index is read from the stream once, on the first rating command
// (every rating subject, the per-interaction subjects of streams written
// before the shards included: event.RatingFilters), then kept by this
// service's own appends and by reading a shard's new events whenever an
// append on it meets a conflict. Its entries are kept by a ratingTable: in
// memory, or, in plauditd, on disk (ratingDisk), and none in the server's
// memory.
//
// A write to the table that fails breaks the index for good: every lookup
// then fails with that error, since the index no longer knows every event
// up to the sequences it would condition appends on.
type ratingIndex struct {
	mu      sync.RWMutex
	table   ratingTable
	broken  error
	shards  map[shardKey]*ratingShard
	numbers map[string]uint32 // tenant "\x00" platform, numbered

	// loadMu serialises the first read of the stream; loaded is set
	// once it succeeded.
	loadMu sync.Mutex
	loaded bool
	log    *slog.Logger
}

// ratingKey names an interaction: its tenant and platform, numbered, and
// the digest of its id (event.InteractionKey), which is all a
// per-interaction subject of an old stream says of it.
type ratingKey struct {
	tp  uint32
	key [16]byte
}

// ratingEntry locates an interaction's events: the rating received, the
// current version (the rating received or its last correction) and the
// last event (the withdrawal when it was withdrawn, else the version).
type ratingEntry struct {
	first, version, last uint64
}

// The events of an interaction are recorded as parts of its entry, which
// add whatever their order, so that the table can record an event without
// reading the entry first (ratingDisk: a read of a key not there yet is
// the costliest read of an LSM tree, and most events are of interactions
// not rated before). A part is an entry: a rating received at seq is
// {seq, 0, 0}, a correction {0, seq, seq}, a withdrawal {0, 0, seq}.
// Parts add by keeping the least rating received (a second one, stored
// after JetStream's duplicate window, is not the rating) and the greatest
// of the rest; the sum, resolved, is the entry (an interaction with no
// rating received has none).
func partOf(kind ratingKind, seq uint64) ratingEntry {
	switch kind {
	case ratingReceived:
		return ratingEntry{first: seq}
	case ratingCorrected:
		return ratingEntry{version: seq, last: seq}
	default:
		return ratingEntry{last: seq}
	}
}

// add returns the sum of parts e and p.
func (e ratingEntry) add(p ratingEntry) ratingEntry {
	first := e.first
	if first == 0 || (p.first != 0 && p.first < first) {
		first = p.first
	}
	return ratingEntry{first: first, version: max(e.version, p.version), last: max(e.last, p.last)}
}

// resolved is the entry a sum of parts stands for; found is false when it
// holds no rating received.
func (e ratingEntry) resolved() (ratingEntry, bool) {
	if e.first == 0 {
		return ratingEntry{}, false
	}
	return ratingEntry{first: e.first, version: max(e.first, e.version), last: max(e.first, e.last)}, true
}

type shardKey struct {
	tp    uint32
	shard uint16
}

// ratingShard is one shard subject family of a tenant and platform.
type ratingShard struct {
	// mu serialises this process's commands on the shard, so they do
	// not meet each other's conflicts; other processes are held off by
	// the conditional append.
	mu sync.Mutex
	// last is the shard's last event the index knows of, and
	// lastReceived its last rating received; guarded by ratingIndex.mu.
	last, lastReceived uint64
	// filter selects the shard's events; received is the subject of its
	// ratings received.
	filter, received string
}

func newRatingIndex(table ratingTable) *ratingIndex {
	return &ratingIndex{table: table, shards: map[shardKey]*ratingShard{},
		numbers: map[string]uint32{}, log: slog.New(slog.DiscardHandler)}
}

// digest is the 128-bit digest of an interaction id (event.InteractionKey).
func digest(interactionID string) [16]byte {
	sum := sha256.Sum256([]byte(interactionID))
	return [16]byte(sum[:16])
}

// number returns the number of tenant and platform. The caller holds x.mu
// for writing.
func (x *ratingIndex) number(tenant, platform string) uint32 {
	name := tenant + "\x00" + platform
	if n, ok := x.numbers[name]; ok {
		return n
	}
	n := uint32(len(x.numbers))
	x.numbers[name] = n
	return n
}

// shardOf returns the shard of an interaction, making it on first use.
func (x *ratingIndex) shardOf(tenant, platform string, key [16]byte) (shardKey, *ratingShard) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.shardLocked(tenant, platform, key)
}

func (x *ratingIndex) shardLocked(tenant, platform string, key [16]byte) (shardKey, *ratingShard) {
	sk := shardKey{tp: x.number(tenant, platform), shard: uint16(key[0])}
	sh := x.shards[sk]
	if sh == nil {
		prefix := strings.Join([]string{event.Prefix, tenant, "rating", platform, event.ShardToken(int(key[0]))}, ".")
		sh = &ratingShard{filter: prefix + ".*", received: prefix + ".received"}
		x.shards[sk] = sh
	}
	return sk, sh
}

// lookup returns an interaction's entry (found false when it has none) and
// the last sequences of its shard, as the index knows them together.
func (x *ratingIndex) lookup(tenant, platform string, key [16]byte) (e ratingEntry, found bool, last shardLasts, err error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.broken != nil {
		return ratingEntry{}, false, shardLasts{}, x.broken
	}
	tp, ok := x.numbers[tenant+"\x00"+platform]
	if !ok {
		return ratingEntry{}, false, shardLasts{}, nil
	}
	if e, found, err = x.table.get(ratingKey{tp: tp, key: key}); err != nil {
		return ratingEntry{}, false, shardLasts{}, fmt.Errorf("command: rating index: %w", err)
	}
	if sh := x.shards[shardKey{tp: tp, shard: uint16(key[0])}]; sh != nil {
		last = shardLasts{all: sh.last, received: sh.lastReceived}
	}
	return e, found, last, nil
}

// shardLasts are the last event of a shard and its last rating received.
type shardLasts struct{ all, received uint64 }

// ratingKind is what a rating event did to its interaction.
type ratingKind uint8

const (
	ratingReceived ratingKind = iota + 1
	ratingCorrected
	ratingWithdrawn
)

// observe records a rating event at seq. onShard is false for an event on a
// per-interaction subject of an old stream, which moves no shard. It may
// see an event twice, or out of order: the entry keeps the first rating
// received and the latest of the rest (ratingEntry.add), whatever the
// order.
func (x *ratingIndex) observe(tenant, platform string, key [16]byte, kind ratingKind, seq uint64, onShard bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.broken != nil {
		return
	}
	sk, sh := x.shardLocked(tenant, platform, key)
	if err := x.table.add(ratingKey{tp: sk.tp, key: key}, partOf(kind, seq)); err != nil {
		x.broken = fmt.Errorf("command: rating index: %w", err)
		return
	}
	// The shard moves only once its event is recorded: the index knows
	// every event of the shard up to its lasts.
	if onShard {
		sh.last = max(sh.last, seq)
		if kind == ratingReceived {
			sh.lastReceived = max(sh.lastReceived, seq)
		}
	}
}

// observeData records a rating event this service appended.
func (x *ratingIndex) observeData(r eventstore.Recorded, d event.Data) {
	platform, id, ok := ratingOf(d)
	if !ok {
		return
	}
	x.observe(r.Tenant, platform, digest(id), kindOf(d), r.Seq, true)
}

func kindOf(d event.Data) ratingKind {
	switch d.(type) {
	case event.RatingReceived:
		return ratingReceived
	case event.RatingCorrected:
		return ratingCorrected
	case event.RatingWithdrawn:
		return ratingWithdrawn
	}
	return 0
}

// ratingOf returns the platform and interaction of a rating event.
func ratingOf(d event.Data) (platform, interactionID string, ok bool) {
	switch e := d.(type) {
	case event.RatingReceived:
		return e.Platform, e.InteractionID, true
	case event.RatingCorrected:
		return e.Platform, e.InteractionID, true
	case event.RatingWithdrawn:
		return e.Platform, e.InteractionID, true
	}
	return "", "", false
}

// observeMsg indexes a rating event read from the stream, from its subject
// and headers: plaudit.<tenant>.rating.<platform>.<sNNN|interaction key>.<event>.
// Only an event on a shard without the interaction header (none of
// Plaudit's) is decoded.
func (x *ratingIndex) observeMsg(m jetstream.Msg, seq uint64) error {
	tokens := strings.Split(m.Subject(), ".")
	if len(tokens) != 6 {
		return fmt.Errorf("unexpected subject %q", m.Subject())
	}
	tenant, platform, where := tokens[1], tokens[3], tokens[4]
	var kind ratingKind
	switch tokens[5] {
	case "received":
		kind = ratingReceived
	case "corrected":
		kind = ratingCorrected
	case "withdrawn":
		kind = ratingWithdrawn
	default:
		return fmt.Errorf("unexpected subject %q", m.Subject())
	}
	var key [16]byte
	onShard := len(where) != 2*len(key)
	hexKey := where
	if onShard {
		hexKey = m.Headers().Get(event.InteractionHeader)
	}
	if hexKey == "" {
		var env struct {
			Data struct {
				InteractionID string `json:"interaction_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Data(), &env); err != nil {
			return err
		}
		key = digest(env.Data.InteractionID)
	} else if n, err := hex.Decode(key[:], []byte(hexKey)); err != nil || n != len(key) {
		return fmt.Errorf("interaction key %q at %d is not 32 hex digits", hexKey, seq)
	}
	x.observe(tenant, platform, key, kind, seq, onShard)
	return nil
}

// load reads every rating event of the stream, once: a service's first
// rating command waits for it.
func (x *ratingIndex) load(ctx context.Context, store *eventstore.Store) error {
	x.loadMu.Lock()
	defer x.loadMu.Unlock()
	if x.loaded {
		return nil
	}
	err := store.Scan(ctx, event.RatingFilters, 0, math.MaxUint64, x.skipping)
	if err != nil {
		return storeErr(err, nil)
	}
	x.loaded = true
	return nil
}

// catchUp reads the events appended on a shard since the last one the index
// knows. The caller holds sh.mu.
func (x *ratingIndex) catchUp(ctx context.Context, store *eventstore.Store, sh *ratingShard) error {
	x.mu.RLock()
	after := sh.last
	x.mu.RUnlock()
	if err := store.Scan(ctx, []string{sh.filter}, after, math.MaxUint64, x.skipping); err != nil {
		return storeErr(err, nil)
	}
	return nil
}

// skipping is observeMsg for a scan: an event it cannot index is logged
// and skipped, as no command could have appended it.
func (x *ratingIndex) skipping(m jetstream.Msg, seq uint64) error {
	if err := x.observeMsg(m, seq); err != nil {
		x.log.Warn("rating index: skipping event", "stream_seq", seq, "err", err)
	}
	return nil
}
