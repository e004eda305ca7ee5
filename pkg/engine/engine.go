// Package engine assembles a running Plaudit: NATS (embedded or external),
// the event stream, the write side, the API over HTTP and NATS, and whatever
// components (projectors) the caller adds. cmd/plauditd is a thin shell over
// it, and tests start real engines with it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/api"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/idempotency"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Version of the engine, reported by the NATS service.
const Version = "0.1.0"

// Config configures an engine.
type Config struct {
	DataDir    string // embedded JetStream's files, admin.key, the projections' stores and the write side's indexes
	HTTPAddr   string // "127.0.0.1:8080"; port 0 picks a free one
	NATSURL    string // external NATS; empty embeds one
	NATSListen string // expose the embedded NATS on host:port; empty: in-process only
	// NATSKeysDir holds the NATS operator's and accounts' keys (package
	// natsauth): with them the engine mints its own users and issues and
	// revokes credentials. Embedded, it defaults to <DataDir>/nats/keys
	// and is created on the first start; with NATSURL it is one way to
	// authenticate, NATSCreds the other.
	NATSKeysDir string
	// NATSCreds is a .creds file to connect to NATSURL with, for an engine
	// (a projector replica, say) that does not hold the keys; it cannot
	// issue or revoke credentials.
	NATSCreds string
	// NATSCA is a PEM file of the CAs that sign NATSURL's TLS certificate.
	NATSCA string
	// NATSTLSCert and NATSTLSKey make the embedded server's client port
	// (NATSListen) require TLS.
	NATSTLSCert, NATSTLSKey string
	SyncAlways              bool   // embedded JetStream fsyncs every write
	Replicas                int    // stream replicas on an external cluster
	BootstrapKey            string // the first admin key; generated when empty
	// Modules are the projections to run, each with its queries.
	Modules []projector.Module
	// Only runs just the named projection (with its queries over NATS,
	// /metrics and health) and no write side: a projector service.
	Only string
	// Replica tells apart replicas of a projection sharing a stream.
	Replica string
	// Components are services run beside the projections, by name (the
	// ClickHouse analytics projector): started with the engine, or alone
	// as Only, stopped with it, and ready only while each is.
	Components map[string]NewComponent
	// Integrations are the chat integrations to run, by name (as the
	// admin API names them: PUT /v1/integrations/{name}); only the main
	// engine (no Only) runs them, with webhook deliveries.
	Integrations map[string]NewIntegration
	// SealKey is the key file that seals integrations' secrets at rest;
	// <DataDir>/seal.key when empty, made on the first start. Engines
	// sharing a stream share the file.
	SealKey string
	// WebhookAllowHTTP are hosts webhooks and integrations may reach by
	// plain http, at any address: receivers on a private network, tests.
	WebhookAllowHTTP []string
	// RelayRetries is the schedule of an integration's retries of one
	// event, its MaxElapsedTime the budget before a dead letter;
	// relay.DefaultRetries when nil.
	RelayRetries func() backoff.BackOff
	// PublicURL is where people's browsers reach this engine's HTTP
	// address, for sign-in links (https makes the session cookie
	// Secure); empty: http:// and the HTTP address.
	PublicURL string
	// HTTPTimeouts bound how long a client may hold an HTTP connection;
	// zero fields take DefaultHTTPTimeouts'.
	HTTPTimeouts HTTPTimeouts
	// MetricsTenantLabel labels the API's request counter with the
	// tenant: a series per tenant, off by default (Gateway.UseMetrics).
	MetricsTenantLabel bool
	// Limits are the API's rate limits; zero fields take
	// api.DefaultLimits'.
	Limits api.Limits
	Now    func() time.Time
	Logger *slog.Logger
	// TracerProvider traces requests, commands, appends and what handles
	// the events they append (package tracing); nil traces nothing. The
	// engine owns it: stopping the engine shuts it down, flushing.
	TracerProvider trace.TracerProvider
}

// HTTPTimeouts are the HTTP server's limits on slow and idle clients.
type HTTPTimeouts struct {
	ReadHeader time.Duration // to send the request's headers
	Read       time.Duration // to send the whole request, body included
	// Write bounds writing an answer; GET /v1/stream lifts it for its
	// connection, which stays open by design.
	Write time.Duration
	Idle  time.Duration // a kept-alive connection waiting for its next request
}

// DefaultHTTPTimeouts: a request whose body trickles in is cut off after
// 15 s (a slow-body attack held connections indefinitely), an idle
// keep-alive after 60 s.
var DefaultHTTPTimeouts = HTTPTimeouts{ReadHeader: 5 * time.Second, Read: 15 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second}

// MaxHeaderBytes bounds a request's headers.
const MaxHeaderBytes = 32 << 10

func (t HTTPTimeouts) orDefault() HTTPTimeouts {
	d := DefaultHTTPTimeouts
	for _, f := range []struct{ v, def *time.Duration }{{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read}, {&t.Write, &d.Write}, {&t.Idle, &d.Idle}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

// Component is a service the engine runs beside its projections.
type Component interface {
	// Run runs until ctx ends and returns nil then.
	Run(ctx context.Context) error
	// Ready is nil while the component does its work, else why not.
	Ready() error
}

// ComponentDeps is what the engine hands a component it starts.
type ComponentDeps struct {
	Store   *eventstore.Store
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	Replica string
	// TracerProvider continues the traces events carry; nil: none.
	TracerProvider trace.TracerProvider
}

// NewComponent makes a component.
type NewComponent func(ComponentDeps) (Component, error)

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir is required"))
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("http-addr %q: %w", c.HTTPAddr, err))
	}
	if c.NATSURL != "" && c.NATSKeysDir == "" && c.NATSCreds == "" {
		errs = append(errs, errors.New("nats-url needs credentials: nats-keys (the keys dir) or nats-creds (a .creds file)"))
	}
	if c.NATSURL == "" && (c.NATSCreds != "" || c.NATSCA != "") {
		errs = append(errs, errors.New("nats-creds and nats-ca are for an external NATS (nats-url)"))
	}
	if (c.NATSTLSCert == "") != (c.NATSTLSKey == "") {
		errs = append(errs, errors.New("nats-tls-cert and nats-tls-key go together"))
	}
	if c.NATSTLSCert != "" && c.NATSListen == "" {
		errs = append(errs, errors.New("nats-tls-cert is for the embedded server's port: set nats-listen"))
	}
	if c.NATSListen != "" {
		if c.NATSURL != "" {
			errs = append(errs, errors.New("nats-listen exposes the embedded server; it cannot be used with nats-url"))
		}
		if _, _, err := net.SplitHostPort(c.NATSListen); err != nil {
			errs = append(errs, fmt.Errorf("nats-listen %q: %w", c.NATSListen, err))
		}
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas %d: must be 1 to 5", c.Replicas))
	}
	if c.BootstrapKey != "" && len(c.BootstrapKey) < 16 {
		errs = append(errs, errors.New("PLAUDIT_BOOTSTRAP_KEY must be at least 16 characters"))
	}
	return errors.Join(errs...)
}

// Engine is a running Plaudit.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	embed   *natsembed.Server
	nc      *nats.Conn
	sys     *nats.Conn     // system account: account updates; nil without the keys
	natsKey *natsauth.Keys // nil when connected with NATSCreds
	keysDir string
	// Credentials issues NATS users; nil when the engine lacks the keys.
	Credentials *natsauth.Registry
	Store       *eventstore.Store
	Dir         *command.Directory
	Command     *command.Service
	Gateway     *api.Gateway
	ln          net.Listener
	http        *http.Server
	svc         micro.Service
	Runners     map[string]*projector.Runner
	qsvcs       []micro.Service
	metrics     *prometheus.Registry
	health      *health
	// Components run beside the projections (Config.Components), by name.
	Components map[string]Component

	runCtx    context.Context
	cancelRun context.CancelFunc
	wg        sync.WaitGroup
	errs      chan error
}

// Start brings the engine up: NATS, stream, buckets, bootstrap key, the
// directory tail, the NATS service and the HTTP listener. It returns once
// everything accepts requests; Wait blocks until ctx ends and the engine has
// shut down.
func Start(ctx context.Context, cfg Config) (_ *Engine, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, errs: make(chan error, 8)}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if err := connectNATS(e); err != nil {
		return nil, err
	}
	e.Store, err = eventstore.Open(ctx, e.nc, eventstore.Config{Replicas: cfg.Replicas})
	if err != nil {
		return nil, err
	}
	keys, err := auth.Open(ctx, e.Store.JetStream(), cfg.Replicas)
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(cfg.DataDir, "admin.key")
	created, err := keys.Bootstrap(ctx, cfg.BootstrapKey, keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		e.log.Info("bootstrapped the admin key of tenant default", "tenant", auth.BootstrapTenant, "key_file", keyFile)
	} else if cfg.BootstrapKey != "" {
		e.log.Info("PLAUDIT_BOOTSTRAP_KEY ignored: this data dir was bootstrapped before")
	}
	idem, err := idempotency.Open(ctx, e.Store.JetStream(), cfg.Replicas)
	if err != nil {
		return nil, err
	}
	if e.sys != nil {
		e.Credentials, err = natsauth.OpenRegistry(ctx, e.Store, cfg.Replicas, e.natsKey, e.sys, api.RatingOps, e.log)
		if err != nil {
			return nil, err
		}
	}
	e.Dir = command.NewDirectory()
	if cfg.Only == "" || usesCommands(cfg) {
		// The write side's indexes of kudos and ratings live on disk, a
		// cache of the stream rebuilt after each start, so the heap does
		// not grow with the kudos and ratings the stream holds.
		if e.Dir, err = command.OpenDirectory(filepath.Join(cfg.DataDir, "write-index.pebble"), e.log); err != nil {
			return nil, err
		}
	}
	e.Command = command.NewService(e.Store, e.Dir, cfg.Now)
	e.Gateway = api.New(e.Command, e.Store, keys, idem, e.log)
	e.Gateway.SetLimits(cfg.Limits)
	e.Gateway.SetTracerProvider(cfg.TracerProvider)

	e.Gateway.SetCredentials(e.Credentials)

	e.runCtx, e.cancelRun = context.WithCancel(context.WithoutCancel(ctx))
	if e.Credentials != nil && cfg.Only == "" {
		e.goRun("nats credentials", e.Credentials.Run)
	}
	e.goRun("api keys", keys.Run)
	if cfg.Only == "" || usesCommands(cfg) {
		e.goRun("directory", func(ctx context.Context) error { return e.Dir.Run(ctx, e.Store, e.log) })
		select {
		case <-e.Dir.Ready():
		case err := <-e.errs:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := e.startProjections(ctx); err != nil {
		return nil, err
	}
	if cfg.Only == "" {
		if err := e.startIntegrations(ctx); err != nil {
			return nil, err
		}
	}
	e.ln, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("engine: http: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.metrics, promhttp.HandlerOpts{}))
	if cfg.Only == "" {
		if err := e.startWeb(ctx, mux, keys); err != nil {
			return nil, err
		}
		e.svc, err = e.Gateway.Serve(e.runCtx, e.nc, Version)
		if err != nil {
			return nil, err
		}
	} else {
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			if err := e.ready(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(`{"status":"ready"}`))
		})
	}
	to := cfg.HTTPTimeouts.orDefault()
	e.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: to.ReadHeader,
		ReadTimeout:       to.Read,
		WriteTimeout:      to.Write,
		IdleTimeout:       to.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return e.runCtx },
	}
	e.http.RegisterOnShutdown(e.Gateway.CloseStreams)
	go func() {
		if err := e.http.Serve(e.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.errs <- fmt.Errorf("engine: http: %w", err)
		}
	}()
	e.log.Info("plauditd serving", "http", "http://"+e.ln.Addr().String(), "nats_service", api.ServiceSubjectPrefix+".>")
	return e, nil
}

// goRun runs a component until the engine stops; its failure stops Wait.
func (e *Engine) goRun(name string, run func(ctx context.Context) error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := run(e.runCtx); err != nil && e.runCtx.Err() == nil {
			e.errs <- fmt.Errorf("engine: %s: %w", name, err)
		}
	}()
}

// usesCommands reports whether the projection cfg runs alone emits events
// through the command service, which then needs the directory.
func usesCommands(cfg Config) bool {
	for _, m := range cfg.Modules {
		if _, ok := m.Projection.(ProcessManager); ok && m.Projection.Name() == cfg.Only {
			return true
		}
	}
	return false
}

func (e *Engine) ready(ctx context.Context) error {
	if e.cfg.Only == "" || usesCommands(e.cfg) {
		select {
		case <-e.Dir.Ready():
		default:
			return errors.New("directory still loading")
		}
	}
	if !e.nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	// A projection whose store was built from another stream (deleted and
	// created again, or restored from an older copy) is rebuilding, and
	// not ready until it has; one whose stream is gone says so.
	for _, r := range e.Runners {
		if err := r.Fault(); err != nil {
			return err
		}
	}
	for _, c := range e.Components {
		if err := c.Ready(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := e.Store.Stream().Info(ctx); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	return nil
}

// HTTPAddr is the address the HTTP API listens on.
func (e *Engine) HTTPAddr() string { return e.ln.Addr().String() }

// Conn is the engine's NATS connection.
func (e *Engine) Conn() *nats.Conn { return e.nc }

// NATSKeysDir is the directory of the NATS keys the engine uses, "" when
// it connected with a .creds file.
func (e *Engine) NATSKeysDir() string { return e.keysDir }

// NATSURL is the embedded server's client URL when it listens, else "".
func (e *Engine) NATSURL() string {
	if e.embed == nil {
		return e.cfg.NATSURL
	}
	return e.embed.ClientURL()
}

// Wait serves until ctx ends or a component fails, then shuts down in order:
// stop accepting HTTP and NATS requests, let in-flight ones finish (up to
// grace), stop the components, drain NATS, stop the embedded server.
func (e *Engine) Wait(ctx context.Context, grace time.Duration) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-e.errs:
		e.log.Error("component failed; shutting down", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if e.svc != nil {
		_ = e.svc.Stop()
		e.Gateway.Drain(sctx)
	}
	for _, s := range e.qsvcs {
		_ = s.Stop()
	}
	if e.http != nil {
		if serr := e.http.Shutdown(sctx); serr != nil {
			e.log.Warn("http shutdown", "err", serr)
			// Past the grace, drop what is still open (event streams,
			// connections that never sent a request) rather than leave it.
			_ = e.http.Close()
		}
	}
	e.close()
	return err
}

func (e *Engine) close() {
	if e.cancelRun != nil {
		e.cancelRun()
		e.wg.Wait()
	}
	for _, r := range e.Runners {
		_ = r.Close()
	}
	if e.Dir != nil {
		_ = e.Dir.Close()
	}
	if e.ln != nil && e.http == nil {
		_ = e.ln.Close()
	}
	if e.sys != nil {
		e.sys.Close()
	}
	if e.nc != nil {
		_ = e.nc.Drain()
		for i := 0; i < 100 && !e.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		e.nc.Close()
	}
	if e.embed != nil {
		e.embed.Shutdown()
	}
	e.shutdownTracing()
}

var timeNow = time.Now
