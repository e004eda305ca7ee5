package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	seen "github.com/plaudit/plaudit/pkg/visibility"
)

// heartbeat keeps idle server-sent-event connections open through proxies.
const heartbeat = 15 * time.Second

// serveStream follows the tenant's events as server-sent events: one event
// per stream message, "id" its stream sequence (so Last-Event-ID resumes),
// "event" its type, "data" the envelope. A key sees only its tenant and only
// what package visibility lets its role and member see.
//
// Query: type=<name>[,<name>] keeps the named types, by short name
// (kudos_given, rating_received, …) or full type; after=<seq> starts after a
// sequence (0: from the beginning). By default only new events are sent,
// and the greeting carries the stream's last sequence as its id, so that a
// client reconnecting with Last-Event-ID misses nothing in between.
func (g *Gateway) serveStream(w http.ResponseWriter, r *http.Request) {
	p, err := g.authenticate(r.Context(), bearer(r))
	if err != nil {
		writeProblem(w, toProblem(err))
		return
	}
	if p.Role == auth.Publisher {
		writeProblem(w, forbidden("Authorization", "a publisher key may only record ratings"))
		return
	}
	release, ok := g.streams.open(p.KeyID, g.limits.StreamsPerKey)
	if !ok {
		writeProblem(w, toProblem(g.limited(limitStreamsPerKey, 5*time.Second, "Authorization",
			fmt.Sprintf("key %s already follows the stream %d times at once; close one first", p.KeyID, g.limits.StreamsPerKey))))
		return
	}
	defer release()
	g.metrics.streams.Inc()
	defer g.metrics.streams.Dec()
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{event.TenantFilter(p.Tenant)},
		// The consumer is deleted when the client goes; should this
		// process die first, the server drops it after this long.
		InactiveThreshold: 30 * time.Second,
	}
	after, afterField := r.URL.Query().Get("after"), "after"
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		after, afterField = id, "Last-Event-ID"
	}
	if after != "" {
		seq, err := strconv.ParseUint(after, 10, 64)
		// The last sequence has no successor to start at.
		if err != nil || seq == math.MaxUint64 {
			writeProblem(w, badRequest(afterField, "must be a stream sequence number"))
			return
		}
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
		if seq > 0 {
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq+1
		}
	}
	var types []string
	if t := r.URL.Query().Get("type"); t != "" {
		types = strings.Split(t, ",")
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeProblem(w, problem(http.StatusInternalServerError, "internal", "Internal error", "", "streaming unsupported"))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(g.streamsCtx, cancel)()
	var greeting uint64
	if after == "" {
		info, err := g.store.Stream().Info(ctx)
		if err != nil {
			writeProblem(w, toProblem(err))
			return
		}
		greeting = info.State.LastSeq
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, greeting+1
	}
	cons, err := g.store.Stream().OrderedConsumer(ctx, cfg)
	if err != nil {
		writeProblem(w, toProblem(err))
		return
	}
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = g.store.Stream().DeleteConsumer(dctx, info.Name)
		}
	}()
	msgs, err := cons.Messages()
	if err != nil {
		writeProblem(w, toProblem(err))
		return
	}
	var stop sync.Once
	defer stop.Do(msgs.Stop)
	next := make(chan jetstream.Msg)
	go func() {
		defer close(next)
		for {
			m, err := msgs.Next()
			if err != nil {
				return
			}
			select {
			case next <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	// The connection stays open for as long as the client follows: the
	// server's write timeout, meant for answers, is lifted for it.
	rc := http.NewResponseController(w)
	if err := errors.Join(rc.SetWriteDeadline(time.Time{}), rc.SetReadDeadline(time.Time{})); err != nil {
		g.log.WarnContext(r.Context(), "stream: lift the deadlines", "err", err)
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if after == "" {
		_, _ = fmt.Fprintf(w, ": plaudit stream\nid: %d\n\n", greeting)
	} else {
		_, _ = fmt.Fprint(w, ": plaudit stream\n\n")
	}
	flusher.Flush()
	v := &visibility{g: g, p: p, kudos: map[string]seen.Kudos{}}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case m, ok := <-next:
			if !ok {
				return
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			env, err := event.Parse(m.Data())
			if err != nil || env.Tenant != p.Tenant || !matchType(env.Type, types) || !v.allows(ctx, env) {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", md.Sequence.Stream, env.Type, m.Data()); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

func matchType(t string, names []string) bool {
	if len(names) == 0 {
		return true
	}
	// "plaudit.recognition.kudos_given.v1" -> "kudos_given"
	parts := strings.Split(t, ".")
	short := ""
	if len(parts) == 4 {
		short = parts[2]
	}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && (n == t || n == short) {
			return true
		}
	}
	return false
}

// visibility decides what one key may see of the stream, by the rules of
// package visibility. It remembers the participants of the kudos it has
// seen, and looks up kudos older than the connection when a reaction or
// retraction refers to one.
type visibility struct {
	g     *Gateway
	p     auth.Principal
	kudos map[string]seen.Kudos
}

func (v *visibility) allows(ctx context.Context, env event.Envelope) bool {
	d, err := env.Decode()
	if err != nil {
		return false
	}
	if k, ok := d.(event.KudosGiven); ok {
		v.remember(env.ID, seen.Kudos{Giver: k.Giver, Recipients: k.Recipients, Private: k.Visibility == event.Private})
	}
	return seen.Allows(seen.Viewer{Role: v.p.Role, Member: v.p.Member}, d, func(id string) (seen.Kudos, bool) {
		if k, ok := v.kudos[id]; ok {
			return k, true
		}
		k, err := v.g.cmd.Kudos(ctx, v.p.Tenant, id)
		if err != nil {
			return seen.Kudos{}, false
		}
		sk := seen.Kudos{Giver: k.Giver, Recipients: k.Recipients, Private: k.Visibility == event.Private}
		v.remember(id, sk)
		return sk, true
	})
}

// maxRemembered bounds the kudos a connection remembers; past it the map
// starts afresh and older kudos are looked up again when needed.
const maxRemembered = 50_000

func (v *visibility) remember(id string, k seen.Kudos) {
	if len(v.kudos) >= maxRemembered {
		clear(v.kudos)
	}
	v.kudos[id] = k
}
