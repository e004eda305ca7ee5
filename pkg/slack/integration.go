package slack

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
)

// Name is the integration's name in the admin API
// (PUT /v1/integrations/slack) and in the engine's components.
const Name = "slack"

// callTimeout bounds one Web API call.
const callTimeout = 10 * time.Second

// Integration makes the Slack app for an engine (engine.Config's
// Integrations), calling the Web API at apiURL (DefaultAPIURL when
// empty).
func Integration(apiURL string) engine.NewIntegration {
	return func(d engine.IntegrationDeps) (engine.Integration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		settings, err := OpenSettings(ctx, d.Store.JetStream(), d.Replicas, d.Sealer)
		if err != nil {
			return nil, err
		}
		if apiURL == "" {
			apiURL = DefaultAPIURL
		}
		return New(Config{
			Settings: settings, Command: d.Command, Store: d.Store, Dead: d.Dead, Retries: d.Retries, Log: d.Logger,
			API: &Client{BaseURL: apiURL, HTTP: &http.Client{Timeout: callTimeout}}, TracerProvider: d.TracerProvider,
		}), nil
	}
}

var _ engine.Integration = (*App)(nil)

// Routes are the inbound routes, by pattern, for the engine's gateway.
func (a *App) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST " + RoutePrefix + "{tenant}/commands":      a.signed(a.serveCommand),
		"POST " + RoutePrefix + "{tenant}/events":        a.signed(a.serveEvent),
		"POST " + RoutePrefix + "{tenant}/interactivity": a.signed(a.serveInteraction),
	}
}

// Ready is nil while the app follows its tenants' settings (the relays'
// supervisor read them, and watches them).
func (a *App) Ready() error { return a.sup.Ready() }

// CheckAPIURL reports whether an operator's --slack-api-url is usable.
func CheckAPIURL(u string) error {
	if u == "" {
		return nil
	}
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") || req.URL.Host == "" {
		return fmt.Errorf("slack-api-url %q: want an http(s) URL such as %s", u, DefaultAPIURL)
	}
	return nil
}
