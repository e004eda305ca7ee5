// Package web is the page plauditd serves at / for the people the engine
// serves: the feed, giving, one's own recognition and nudges, the agent's
// live moment, the manager's team view and the admin's directory, policy
// and keys.
//
// It is a client of the HTTP API, called in process: every page reads and
// writes through the v1 routes with the session's own key (package
// session), so the API's authorisation, visibility rules, validation and
// rate limits are the page's too, and a refusal arrives as the API's
// problem, naming the field it is about. Pages are rendered on the server
// (html/template, charts as SVG) and work without JavaScript; only the
// live moment needs it. Every form carries a CSRF token tied to the
// session, and cross-site posts are refused before they are read.
//
// It holds no rules of its own beyond what to show: names and teams for
// display come from the directory, which every reader of the tenant may
// see (GET /v1/members).
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/session"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Config is what the page needs.
type Config struct {
	// API is the HTTP API (api.Gateway.Handler), called in process.
	API http.Handler
	// Sessions redeems sign-in links.
	Sessions *session.Sessions
	// Authenticate resolves a session's key as the API does (an expired,
	// revoked or departed member's key is auth.ErrUnauthenticated).
	Authenticate func(ctx context.Context, key string) (auth.Principal, error)
	// Revoke ends a session: the key of that id in the tenant.
	Revoke func(ctx context.Context, tenant, keyID string) error
	// Directory gives names and teams for display.
	Directory *command.Directory
	// PublicURL is where people's browsers reach the page; an https one
	// makes the session cookie Secure.
	PublicURL string
	// Metrics registers the page's metrics; nil: none are kept.
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	Now     func() time.Time
}

// Server serves the pages. It is safe for concurrent use.
type Server struct {
	cfg     Config
	metrics *metrics
	pages   map[string]*template.Template
	secure  bool
	log     *slog.Logger
	now     func() time.Time
}

// New parses the templates and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.API == nil || cfg.Sessions == nil || cfg.Authenticate == nil || cfg.Revoke == nil || cfg.Directory == nil {
		return nil, errors.New("web: API, Sessions, Authenticate, Revoke and Directory are required")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "web")
	if s.now == nil {
		s.now = time.Now
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme == "https" {
		s.secure = true
	}
	s.metrics = newMetrics(cfg.Metrics)
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// parsePages parses each page with the layout: page name -> template.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// Register adds the pages' routes to mux. They are more specific than the
// API's catch-all, which keeps every other path.
func (s *Server) Register(mux *http.ServeMux) {
	assets, _ := fs.Sub(assetFS, "assets")
	static := http.StripPrefix("/assets/", http.FileServer(http.FS(assets)))
	handle := func(pattern string, h http.Handler) { mux.Handle(pattern, s.metrics.observe(pattern, h)) }
	handle("GET /assets/", cacheable(static))

	handle("GET /signin", http.HandlerFunc(s.signInPage))
	handle("POST /signin", s.guardAnonymous(http.HandlerFunc(s.signIn)))
	handle("POST /signout", s.post(s.signOut))

	handle("GET /{$}", s.page(s.feed))
	handle("POST /kudos/{id}/react", s.post(s.react))
	handle("GET /give", s.page(s.giveForm))
	handle("POST /give", s.post(s.give))
	handle("GET /me", s.page(s.me))
	handle("POST /me/preferences", s.post(s.setPreferences))
	handle("POST /me/nudges/{id}/{action}", s.post(s.settleNudge))
	handle("GET /live", s.page(s.live))
	handle(liveEventsRoute, s.page(s.liveEvents))
	handle("GET /team", s.page(s.teams))
	handle("GET /team/{team}", s.page(s.team))
	handle("GET /admin", s.page(s.admin))
	handle("POST /admin/members", s.post(s.importMembers))
	handle("POST /admin/policy", s.post(s.setPolicy))
	handle("POST /admin/keys", s.post(s.createKey))
	handle("POST /admin/keys/{id}/revoke", s.post(s.revokeKey))
}

// liveEventsRoute is the live page's stream of moments.
const liveEventsRoute = "GET /live/events"

// cacheable lets browsers keep the embedded assets for a day.
func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
