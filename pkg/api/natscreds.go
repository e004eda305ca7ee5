package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/natsauth"
)

// RatingOps are the command operations a publisher's NATS credential may
// call.
var RatingOps = []string{apiv1.OpRecordRating, apiv1.OpCorrectRating, apiv1.OpWithdrawRating}

// SetCredentials lets admins issue NATS credentials; nil when this engine
// lacks the NATS keys.
func (g *Gateway) SetCredentials(r *natsauth.Registry) { g.creds = r }

func (g *Gateway) credentials() (*natsauth.Registry, error) {
	if g.creds == nil {
		return nil, problem(http.StatusServiceUnavailable, "unavailable", "Unavailable", "",
			"this engine does not hold the NATS keys (--nats-keys): ask one that does")
	}
	return g.creds, nil
}

// CreatedNATSCreds answers POST /v1/nats-credentials. Creds, the .creds
// file with the user's seed, is shown only here.
type CreatedNATSCreds struct {
	natsauth.Credential
	Creds string `json:"creds,omitempty"`
	Note  string `json:"note,omitempty"`
}

// WithoutSecret is the answer kept for an Idempotency-Key: the seed is
// never stored.
func (c CreatedNATSCreds) WithoutSecret() any {
	c.Creds = ""
	c.Note = "the credentials were shown once, in the first answer; revoke this one and create another if they were lost"
	return c
}

func createNATSCreds(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.NATSCredsRequest) (int, any, error) {
	reg, err := g.credentials()
	if err != nil {
		return 0, nil, err
	}
	req := natsauth.Request{Tenant: p.Tenant, Role: natsauth.Role(b.Role), Name: b.Name}
	if !req.Role.Valid() {
		return 0, nil, invalidField("role", "must be downstream or publisher")
	}
	if !event.ValidID(b.Name) {
		return 0, nil, invalidField("name", "is required: lower-case letters, digits, '-' and '_', at most 64")
	}
	switch req.Role {
	case natsauth.Publisher:
		if len(b.Consumers) > 0 {
			return 0, nil, invalidField("consumers", "a publisher reads no events: it has no consumers")
		}
	case natsauth.Downstream:
		if len(b.Consumers) == 0 {
			b.Consumers = append(b.Consumers, apiv1.NATSConsumer{Name: b.Name})
		}
		if len(b.Consumers) > 10 {
			return 0, nil, invalidField("consumers", "at most 10 per credential")
		}
		for i, cons := range b.Consumers {
			field := fmt.Sprintf("consumers[%d]", i)
			if !event.ValidID(cons.Name) {
				return 0, nil, invalidField(field+".name", "lower-case letters, digits, '-' and '_', at most 64")
			}
			if cons.Filter == "" {
				cons.Filter = event.Prefix + "." + p.Tenant + ".>"
			}
			if err := natsauth.CheckFilter(p.Tenant, cons.Filter); err != nil {
				return 0, nil, invalidField(field+".filter", err.Error())
			}
			name := natsauth.ConsumerName(p.Tenant, cons.Name)
			if slices.ContainsFunc(req.Consumers, func(x natsauth.Consumer) bool { return x.Name == name }) {
				return 0, nil, invalidField(field+".name", "names a consumer twice")
			}
			req.Consumers = append(req.Consumers, natsauth.Consumer{Name: name, Filter: cons.Filter})
		}
	}
	cred, creds, err := reg.Issue(ctx, req)
	if errors.Is(err, natsauth.ErrConsumerTaken) {
		return 0, nil, problem(http.StatusConflict, "conflict", "Conflict", "consumers", err.Error())
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedNATSCreds{Credential: cred, Creds: string(creds)}, nil
}

// NATSCredsList answers GET /v1/nats-credentials.
type NATSCredsList struct {
	Credentials []natsauth.Credential `json:"credentials"`
}

func listNATSCreds(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	reg, err := g.credentials()
	if err != nil {
		return 0, nil, err
	}
	list, err := reg.List(ctx, p.Tenant)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, NATSCredsList{Credentials: list}, nil
}

func revokeNATSCreds(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	reg, err := g.credentials()
	if err != nil {
		return 0, nil, err
	}
	cred, err := reg.Revoke(ctx, p.Tenant, c.ID)
	if errors.Is(err, natsauth.ErrNotFound) {
		return 0, nil, notFound("id", "no NATS credential "+c.ID+" in this tenant")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cred, nil
}
