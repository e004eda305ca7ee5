package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/visibility"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// Integration connects Plaudit to a system people work in (a chat app):
// its settings, which admins manage through the API; its inbound routes,
// authenticated by their senders' signatures rather than API keys; and
// its relays, which it runs until ctx ends (Component).
type Integration interface {
	api.Integration
	Component
	// Routes are its inbound HTTP routes, by net/http pattern, under
	// /v1/integrations/<name>/.
	Routes() map[string]http.Handler
}

// IntegrationDeps is what the engine hands an integration it starts.
type IntegrationDeps struct {
	ComponentDeps
	Command  *command.Service
	Dir      *command.Directory
	Sealer   *seal.Sealer
	Dead     *relay.DeadLetters
	Outbound webhook.Policy         // where tenant-supplied URLs may point
	Retries  func() backoff.BackOff // relays' retries; nil: relay.DefaultRetries
	Replicas int
	// TracerProvider traces the relays' deliveries; nil: none.
	TracerProvider trace.TracerProvider
}

// NewIntegration makes an integration.
type NewIntegration func(IntegrationDeps) (Integration, error)

// webhookTimeout bounds one delivery to a webhook endpoint.
const webhookTimeout = 10 * time.Second

// startIntegrations opens the integrations' shared stores, starts webhook
// deliveries and the configured integrations, and hands them to the
// gateway; the main engine alone runs them.
func (e *Engine) startIntegrations(ctx context.Context) error {
	keyFile := e.cfg.SealKey
	if keyFile == "" {
		keyFile = filepath.Join(e.cfg.DataDir, "seal.key")
	}
	sealer, err := seal.Load(keyFile)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	js := e.Store.JetStream()
	dead, err := relay.OpenDeadLetters(ctx, js, e.cfg.Replicas)
	if err != nil {
		return err
	}
	policy := webhook.Policy{Trusted: e.cfg.WebhookAllowHTTP}
	reg, err := webhook.OpenRegistry(ctx, js, e.cfg.Replicas, sealer, policy)
	if err != nil {
		return err
	}
	d := &webhook.Deliverer{
		Registry: reg, Stream: e.Store.Stream(), Client: policy.Client(webhookTimeout), Dead: dead, Log: e.log,
		Retries: e.cfg.RelayRetries, TracerProvider: e.cfg.TracerProvider,
		Lookup: func(ctx context.Context, tenant, id string) (visibility.Kudos, bool, error) {
			k, err := e.Command.Kudos(ctx, tenant, id)
			if errors.Is(err, command.ErrNotFound) {
				return visibility.Kudos{}, false, nil
			}
			if err != nil {
				return visibility.Kudos{}, false, err
			}
			return visibility.Kudos{Giver: k.Giver, Recipients: k.Recipients, Private: k.Visibility == event.Private}, true, nil
		},
	}
	e.Gateway.SetWebhooks(d)
	// Each integration's relays are named after it, webhooks' too.
	watched := []string{relay.Owner(webhook.RelayName(""))}
	for name := range e.cfg.Integrations {
		watched = append(watched, name)
	}
	e.health.watchIntegrations(dead, watched...)
	e.goRun("webhooks", d.Serve)
	deps := IntegrationDeps{
		ComponentDeps: ComponentDeps{Store: e.Store, Metrics: e.metrics, Logger: e.log, Replica: e.cfg.Replica},
		Command:       e.Command, Dir: e.Dir, Sealer: sealer, Dead: dead, Outbound: policy, Retries: e.cfg.RelayRetries, Replicas: e.cfg.Replicas,
		TracerProvider: e.cfg.TracerProvider,
	}
	for name, newIntegration := range e.cfg.Integrations {
		i, err := newIntegration(deps)
		if err != nil {
			return fmt.Errorf("engine: integration %s: %w", name, err)
		}
		e.Gateway.SetIntegration(name, i)
		for pattern, h := range i.Routes() {
			e.Gateway.Handle(pattern, h)
		}
		if e.Components == nil {
			e.Components = map[string]Component{}
		}
		e.Components[name] = i
		e.goRun(name, i.Run)
	}
	return nil
}
