// Package api is Plaudit's gateway: the v1 operations, their authorisation
// and idempotency, served over HTTP (http.go) and as NATS request-reply
// services (micro.go) with the same validation and the same replies.
//
// It holds no domain rules: it authenticates the key, maps the request onto a
// command, and maps the command's result or error onto a reply. Reads belong
// to the projections.
//
// It is where traces start: a span per request and per operation
// (trace.go), which the events the operation appends carry on.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/trace"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/idempotency"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/session"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// Gateway carries out v1 operations. It is safe for concurrent use.
type Gateway struct {
	cmd   *command.Service
	store *eventstore.Store
	keys  *auth.Keys
	idem  *idempotency.Store
	log   *slog.Logger
	// tracer starts the spans of requests; nil: no tracing (trace.go).
	tracer trace.Tracer

	queries      map[string]projector.QueryFunc
	projections  Projections
	creds        *natsauth.Registry
	webhooks     *webhook.Deliverer
	sessions     *session.Sessions
	publicURL    string
	integrations map[string]Integration
	routes       []route // integrations' inbound routes

	limits    Limits
	perKey    *buckets
	perClient *buckets
	failures  *buckets
	streams   *streamCount

	metrics *metrics

	inflight     sync.WaitGroup // NATS requests being served
	streamsCtx   context.Context
	closeStreams context.CancelFunc
}

// Drain waits until the NATS requests in flight have been answered, or ctx
// ends. Stop the micro service first so that no new ones arrive.
func (g *Gateway) Drain(ctx context.Context) {
	done := make(chan struct{})
	go func() { g.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// CloseStreams ends every GET /v1/stream connection, so that an HTTP
// shutdown need not wait for followers that never finish by themselves.
func (g *Gateway) CloseStreams() { g.closeStreams() }

// New returns a Gateway.
func New(cmd *command.Service, store *eventstore.Store, keys *auth.Keys, idem *idempotency.Store, log *slog.Logger) *Gateway {
	g := &Gateway{cmd: cmd, store: store, keys: keys, idem: idem, log: log.With("component", "api")}
	g.streamsCtx, g.closeStreams = context.WithCancel(context.Background())
	g.SetLimits(Limits{})
	g.metrics = newMetrics(false) // counted, not exported, until UseMetrics
	return g
}

// Call is one operation request, whatever the transport.
type Call struct {
	Op             string // an operation name, see ops
	Key            string // the bearer API key
	IdempotencyKey string
	ID             string // the path's {id}
	Body           []byte
	Channel        string // the kudos channel the transport implies
	// Tenant is the tenant the transport addressed, "" when it names none
	// (HTTP): the NATS subject carries it, and a key of another tenant is
	// refused there.
	Tenant string
}

// Reply is an operation's answer: a status and a JSON body (a problem when
// the status is 4xx or 5xx).
type Reply struct {
	Status int
	Body   []byte
	// Replayed: the answer was stored under the Idempotency-Key and is
	// sent again; the transports say so in an Idempotent-Replayed header.
	Replayed bool
	// RetryAfter, in seconds, tells a client refused for going too fast
	// (or a 503) when to try again; 0: not said.
	RetryAfter int
	// stored is what an Idempotency-Key keeps of the answer when it
	// differs from Body: the answer without its secret.
	stored []byte
	// reason names why a problem was answered (refusalReason), for the
	// refusals metric; "" for an answer replayed.
	reason string
}

// secretBearer is an answer holding a secret shown once (a key, a .creds
// file): what is kept for a retry is WithoutSecret.
type secretBearer interface {
	WithoutSecret() any
}

// IsProblem reports whether the reply is an error.
func (r Reply) IsProblem() bool { return r.Status >= 400 }

type opFunc func(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error)

// do authenticates, authorises and runs the call. A call with an
// idempotency key is answered from the store when it was answered before.
func (g *Gateway) do(ctx context.Context, c Call) (reply Reply) {
	defer func() { g.metrics.refusal(c.Op, reply) }()
	o, ok := ops[c.Op]
	if !ok {
		return g.fail(ctx, notFound("", "no such operation"))
	}
	p, err := g.authenticate(ctx, c.Key)
	if err != nil {
		return g.fail(ctx, err)
	}
	if !o.allowed(p.Role) {
		return g.fail(ctx, forbidden("Authorization", "a "+string(p.Role)+" key may not "+o.verb))
	}
	if c.Tenant != "" && c.Tenant != p.Tenant {
		return g.fail(ctx, forbidden("Authorization", "the key is not of tenant "+c.Tenant+", which the subject names"))
	}
	if len(c.Body) > MaxBody {
		return g.fail(ctx, problem(http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body", "the body is larger than 64 KiB"))
	}
	if c.IdempotencyKey == "" {
		return g.run(ctx, o.fn, p, c)
	}
	if n := len(c.IdempotencyKey); n > 255 {
		return g.fail(ctx, badRequest("Idempotency-Key", "is longer than 255 characters"))
	}
	key := idempotency.Key(p.Tenant, p.KeyID, c.Op, c.IdempotencyKey)
	answer, slot, err := g.idem.Begin(ctx, key, idempotency.Fingerprint([]byte(c.Op), []byte(c.ID), c.Body))
	if err != nil {
		return g.fail(ctx, err)
	}
	if answer != nil {
		return Reply{Status: answer.Status, Body: answer.Body, Replayed: true}
	}
	// Commands derive their event ids from the key, so a retry after a
	// crash that lost this slot appends nothing new.
	c.IdempotencyKey = key
	r := g.run(ctx, o.fn, p, c)
	// A conflict (the aggregate kept moving, or a transient refusal that
	// says "retry") changed nothing and may well succeed when retried: it
	// is not stored, or the retry it invites would be refused for a day.
	if r.Status >= 500 || r.Status == http.StatusConflict {
		if err := g.idem.Abandon(context.WithoutCancel(ctx), slot); err != nil {
			g.log.WarnContext(ctx, "idempotency: abandon", "err", err)
		}
		return r
	}
	keep := r.Body
	if r.stored != nil {
		keep = r.stored
	}
	if err := g.idem.Finish(context.WithoutCancel(ctx), slot, r.Status, keep); err != nil {
		// The work is done; a retry after the slot expires replays it from
		// the stream's duplicate detection.
		g.log.WarnContext(ctx, "idempotency: finish", "err", err)
	}
	return r
}

func (g *Gateway) run(ctx context.Context, fn opFunc, p auth.Principal, c Call) Reply {
	annotate(ctx, p)
	status, v, err := fn(ctx, g, p, c)
	if err != nil {
		return g.fail(ctx, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return g.fail(ctx, err)
	}
	r := Reply{Status: status, Body: b}
	if s, ok := v.(secretBearer); ok {
		if r.stored, err = json.Marshal(s.WithoutSecret()); err != nil {
			return g.fail(ctx, err)
		}
	}
	return r
}

func (g *Gateway) fail(ctx context.Context, err error) Reply {
	p := toProblem(err)
	if p.Status >= 500 {
		g.log.ErrorContext(ctx, "operation failed", "err", err)
	}
	return Reply{Status: p.Status, Body: problemBody(p), RetryAfter: p.RetryAfter, reason: refusalReason(err, p)}
}

// written answers a command with the events it appended (apiv1.Written).
func written(res command.Result, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	if len(res.Events) == 0 {
		return 0, nil, errors.New("api: command appended nothing")
	}
	w := apiv1.Written{ID: res.Events[0].ID, Seq: res.Events[len(res.Events)-1].Seq, Replayed: res.Replayed}
	for _, e := range res.Events {
		w.Events = append(w.Events, apiv1.WrittenEvent{ID: e.ID, Seq: e.Seq, Subject: e.Subject})
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	return status, w, nil
}
