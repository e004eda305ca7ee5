package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/plaudit/plaudit/pkg/auth"
)

// Integration is a chat integration's settings as admins reach them
// (PUT, GET and DELETE /v1/integrations/{id}); it is safe for concurrent
// use.
type Integration interface {
	// Configure checks and stores the tenant's settings, a JSON object of
	// the integration's, and returns them as Settings shows them. A
	// refusal is a *command.ValidationError naming the field.
	Configure(ctx context.Context, tenant string, body []byte) (any, error)
	// Settings returns the tenant's settings without their secrets, or
	// ErrNotConfigured.
	Settings(ctx context.Context, tenant string) (any, error)
	// Remove deletes the tenant's settings, or returns ErrNotConfigured.
	Remove(ctx context.Context, tenant string) error
}

// ErrNotConfigured is returned by an Integration for a tenant that has
// not configured it.
var ErrNotConfigured = errors.New("integration not configured")

// SetIntegration makes the integration i reachable by name.
func (g *Gateway) SetIntegration(name string, i Integration) {
	if g.integrations == nil {
		g.integrations = map[string]Integration{}
	}
	g.integrations[name] = i
}

// Handle serves an integration's inbound route (pattern as net/http's
// ServeMux reads it) beside the API, behind the same limits on clients;
// the route authenticates its requests itself, by their senders'
// signatures. Call it before Handler.
func (g *Gateway) Handle(pattern string, h http.Handler) {
	g.routes = append(g.routes, route{pattern, h})
}

type route struct {
	pattern string
	h       http.Handler
}

func (g *Gateway) integration(c Call) (Integration, error) {
	i, ok := g.integrations[c.ID]
	if !ok {
		names := make([]string, 0, len(g.integrations))
		for n := range g.integrations {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, notFound("id", "no integration "+c.ID+"; this engine has: "+strings.Join(names, ", "))
	}
	return i, nil
}

// notConfigured maps ErrNotConfigured to a 404 naming the integration.
func notConfigured(err error, c Call) error {
	if errors.Is(err, ErrNotConfigured) {
		return notFound("id", "integration "+c.ID+" is not configured for this tenant")
	}
	return err
}

func configureIntegration(ctx context.Context, g *Gateway, p auth.Principal, c Call, body []byte) (int, any, error) {
	i, err := g.integration(c)
	if err != nil {
		return 0, nil, err
	}
	v, err := i.Configure(ctx, p.Tenant, body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func getIntegration(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	i, err := g.integration(c)
	if err != nil {
		return 0, nil, err
	}
	v, err := i.Settings(ctx, p.Tenant)
	if err != nil {
		return 0, nil, notConfigured(err, c)
	}
	return http.StatusOK, v, nil
}

func removeIntegration(ctx context.Context, g *Gateway, p auth.Principal, c Call) (int, any, error) {
	i, err := g.integration(c)
	if err != nil {
		return 0, nil, err
	}
	if err := i.Remove(ctx, p.Tenant); err != nil {
		return 0, nil, notConfigured(err, c)
	}
	return http.StatusOK, map[string]string{"removed": c.ID}, nil
}
