package engine

import (
	"context"
	"net/http"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/session"
	"github.com/plaudit/plaudit/pkg/web"
)

// startWeb serves the API at / and the web page's routes beside it, with
// sign-in links made for PublicURL.
func (e *Engine) startWeb(ctx context.Context, mux *http.ServeMux, keys *auth.Keys) error {
	// Links and sessions keep wall-clock time, as the keys they become do.
	sessions, err := session.Open(ctx, e.Store.JetStream(), keys, e.cfg.Replicas, nil)
	if err != nil {
		return err
	}
	public := e.cfg.PublicURL
	if public == "" {
		public = "http://" + e.ln.Addr().String()
	}
	e.Gateway.SetSessions(sessions, public)
	apiHandler := e.Gateway.Handler(e.ready)
	mux.Handle("/", apiHandler)
	w, err := web.New(web.Config{
		API: apiHandler, Sessions: sessions, Authenticate: e.Gateway.Authenticate, Directory: e.Dir,
		Revoke: func(ctx context.Context, tenant, id string) error {
			_, err := keys.Revoke(ctx, tenant, id)
			return err
		},
		PublicURL: public, Metrics: e.metrics, Logger: e.log, Now: e.cfg.Now,
	})
	if err != nil {
		return err
	}
	w.Register(mux)
	return nil
}
