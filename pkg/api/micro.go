package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/natsauth"
)

// natsCall is the Call a NATS request to the operation op makes: the
// tenant from its subject ("plaudit-api.v1.<tenant>.<op>"), the key, the
// Idempotency-Key and the id from its headers, the body as it came.
func natsCall(op, subject string, h nats.Header, data []byte) Call {
	tenant, _, _ := strings.Cut(strings.TrimPrefix(subject, ServiceSubjectPrefix+"."), ".")
	if !event.ValidID(tenant) {
		// Never "": that would mean no tenant was named, and any key's
		// tenant would do.
		tenant = "-"
	}
	return Call{
		Op: op, Key: bearerKey(h.Get(HeaderAuthorization)), IdempotencyKey: h.Get(HeaderIdempotencyKey), ID: h.Get(HeaderID),
		Body: data, Channel: "api", Tenant: tenant,
	}
}

// IsInbox reports whether subject is a reply inbox, the only kind of
// subject the engine answers a NATS request on: "_INBOX." (nats.go's
// default), an issued user's "_INBOX_<id>." (natsauth.InboxPrefix), or
// "_R_.", the server's own reply subject for a request that came in
// through a tenant account's import, which leads back into that account.
func IsInbox(subject string) bool {
	return strings.HasPrefix(subject, "_INBOX.") || strings.HasPrefix(subject, "_INBOX_") || strings.HasPrefix(subject, "_R_.")
}

// ServiceSubjectPrefix prefixes the subjects of the NATS command service:
// "plaudit-api.v1.<tenant>.kudos.give" and so on, one per tenant and
// operation, so that NATS permissions can grant one tenant's operations
// (natsauth.CommandSubject). It lies outside the event stream's
// "plaudit.>" on purpose.
const ServiceSubjectPrefix = natsauth.CommandPrefix

// ServiceName is the micro service's name; every plauditd joins its queue
// group, so the load spreads.
const ServiceName = "plaudit-commands"

// Headers of a NATS request; the reply carries "Status".
const (
	HeaderAuthorization  = "Authorization"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderID             = "Plaudit-Id" // the {id} that HTTP carries in the path
	HeaderStatus         = "Status"
	HeaderReplayed       = "Idempotent-Replayed" // on an answer replayed for its Idempotency-Key
)

// maxInflight bounds the NATS requests handled at once.
const maxInflight = 512

// Serve registers the operations as a NATS micro service. A request carries
// the same JSON body as its HTTP twin, the key in the Authorization header
// ("Bearer <key>"), the optional Idempotency-Key, and Plaudit-Id where HTTP
// has {id} in the path. The reply is the same JSON with a Status header; a
// problem is sent as a micro error (code = HTTP status) with the problem
// JSON as body. Requests are served concurrently until ctx ends.
func (g *Gateway) Serve(ctx context.Context, nc *nats.Conn, version string) (micro.Service, error) {
	svc, err := micro.AddService(nc, micro.Config{
		Name:        ServiceName,
		Version:     version,
		Description: "Plaudit write API over NATS request-reply",
	})
	if err != nil {
		return nil, fmt.Errorf("api: micro: %w", err)
	}
	sem := make(chan struct{}, maxInflight)
	for name := range ops {
		handler := micro.HandlerFunc(func(req micro.Request) {
			sem <- struct{}{}
			g.inflight.Add(1)
			go func() {
				defer func() { <-sem; g.inflight.Done() }()
				g.serveNATS(ctx, nc, name, req)
			}()
		})
		endpoint := strings.ReplaceAll(name, ".", "_")
		if err := svc.AddEndpoint(endpoint, handler, micro.WithEndpointSubject(natsauth.CommandSubject("*", name))); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("api: micro endpoint %s: %w", name, err)
		}
	}
	return svc, nil
}

// serveNATS runs one request and replies. The reply is published on the
// connection rather than through req.Respond or req.Error: those record
// the outcome in the request, which the micro service reads for its stats
// as soon as the handler returns, and the handler returns before this
// goroutine answers (a data race). The reply carries the same headers
// req.Error would set.
//
// The reply goes only to an inbox: the engine may publish anywhere in the
// account, and a request whose reply subject named the JetStream API or a
// bucket would have it send its answer there as a request of its own.
func (g *Gateway) serveNATS(ctx context.Context, nc *nats.Conn, op string, req micro.Request) {
	ctx, span := g.traceNATS(ctx, op, nats.Header(req.Headers()))
	defer span.End()
	if !IsInbox(req.Reply()) {
		g.log.WarnContext(ctx, "nats request without an inbox to answer; ignored", "op", op)
		return
	}
	ctx, done := g.metrics.begin(ctx, transportNATS, op)
	reply := g.Do(ctx, natsCall(op, req.Subject(), nats.Header(req.Headers()), req.Data()))
	defer done(reply.Status)
	m := nats.NewMsg(req.Reply())
	m.Data = reply.Body
	m.Header.Set(HeaderStatus, strconv.Itoa(reply.Status))
	if reply.Replayed {
		m.Header.Set(HeaderReplayed, "true")
	}
	if reply.RetryAfter > 0 {
		m.Header.Set("Retry-After", strconv.Itoa(reply.RetryAfter))
	}
	if reply.IsProblem() {
		var p apiv1.Problem
		_ = json.Unmarshal(reply.Body, &p)
		m.Header.Set("Content-Type", "application/problem+json")
		m.Header.Set(micro.ErrorHeader, p.Title)
		m.Header.Set(micro.ErrorCodeHeader, strconv.Itoa(reply.Status))
	}
	if err := nc.PublishMsg(m); err != nil {
		g.log.WarnContext(ctx, "nats reply", "op", op, "err", err)
	}
}
