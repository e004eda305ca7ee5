// Command plauditd runs the Plaudit engine. With no flags it embeds a
// nats-server with JetStream storing under ./data and serves HTTP on
// 127.0.0.1:8080. Every flag has a PLAUDIT_<NAME> environment fallback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // members' time zones must resolve on hosts without zoneinfo

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/slack"
	"github.com/plaudit/plaudit/pkg/tracing"
	"github.com/plaudit/plaudit/projections/analytics"
)

func main() {
	// Everything plauditd writes (the stream's files, the stores, the
	// keys) holds private recognition or secrets: nobody else may read it.
	syscall.Umask(0o077)
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "plauditd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "nats-init" {
		return natsInit(args[1:])
	}
	o, err := parseConfig(args)
	if err != nil {
		return err
	}
	cfg, logLevel, gcPercent := o.cfg, o.level, o.gc
	// JSON lines; those about a request or an event carry its trace_id.
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})))
	tp, err := tracerProvider(context.Background(), o.otlp, o.sample)
	if err != nil {
		return err
	}
	if tp != nil {
		cfg.TracerProvider = tp // the engine shuts it down
		log.Info("tracing on: exporting spans over OTLP", "sample", o.sample)
	}
	if cfg.Only == "" || cfg.Only == analytics.Name {
		if o.clickhouse != "" {
			log.Info("analytics projector on: writing to ClickHouse", "clickhouse", redact(o.clickhouse))
		} else {
			log.Info("analytics projector off: no --clickhouse-dsn (PLAUDIT_CLICKHOUSE_DSN)")
		}
	}
	// An explicit GOGC wins over the flag's default; so does GOMEMLIMIT.
	if _, set := os.LookupEnv("GOGC"); !set || gcPercent.set {
		debug.SetGCPercent(gcPercent.value)
		log.Debug("garbage collector", "gc_percent", gcPercent.value)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); (!set || o.memLimit.set) && o.memLimit.value > 0 {
		debug.SetMemoryLimit(int64(o.memLimit.value) << 20)
		log.Debug("memory limit", "mib", o.memLimit.value)
	}
	cfg.Logger = log
	cfg.Modules = modules()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	if o.pprofAddr != "" {
		if err := servePprof(ctx, o.pprofAddr, log); err != nil {
			cancel()
			return err
		}
	}
	e, err := engine.Start(startCtx, cfg)
	cancel()
	if err != nil {
		return err
	}
	err = e.Wait(ctx, 15*time.Second)
	log.Info("plauditd stopped")
	return err
}

// env returns PLAUDIT_<NAME> or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("PLAUDIT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

// gcSetting is the --gc-percent flag and whether it was given.
type gcSetting struct {
	value int
	set   bool
}

// options are plauditd's flags: the engine's configuration and the
// process's own settings.
type options struct {
	cfg        engine.Config
	level      slog.Level
	gc         gcSetting
	memLimit   gcSetting // --memory-limit-mib; 0: none
	clickhouse string    // the analytics projector's DSN; empty: off
	pprofAddr  string    // loopback address serving Go's profiles; empty: off
	otlp       string    // the OTLP collector's base URL; empty: OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing
	sample     float64   // share of new traces recorded
}

// redact hides a DSN's password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

func parseConfig(args []string) (options, error) {
	o, err := parseFlags(args)
	if o.clickhouse != "" {
		u, perr := url.Parse(o.clickhouse)
		if perr == nil && u.Scheme != "clickhouse" {
			perr = fmt.Errorf("want clickhouse://host:port/database, got the scheme %q", u.Scheme)
		}
		if perr == nil {
			_, perr = clickhouse.ParseDSN(o.clickhouse)
		}
		if perr != nil {
			err = errors.Join(err, fmt.Errorf("clickhouse-dsn: %w", perr))
		}
		o.cfg.Components = map[string]engine.NewComponent{analytics.Name: analyticsComponent(o.clickhouse)}
	}
	return o, err
}

func parseFlags(args []string) (options, error) {
	var cfg engine.Config
	var gc gcSetting
	var chDSN string
	var mem gcSetting
	name := "plauditd"
	defaultHTTP := "127.0.0.1:8080"
	// "plauditd projector NAME [flags]" runs one projection alone, as its
	// own service, usually against an external NATS (--nats-url).
	if len(args) >= 2 && args[0] == "projector" {
		cfg.Only, args, name, defaultHTTP = args[1], args[2:], "plauditd projector "+args[1], "127.0.0.1:0"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	syncAlways, _ := strconv.ParseBool(env("sync-always", "false"))
	replicas, _ := strconv.Atoi(env("replicas", "1"))
	fs.StringVar(&cfg.DataDir, "data-dir", env("data-dir", "./data"), "where the embedded JetStream and admin.key live (PLAUDIT_DATA_DIR)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", env("http-addr", defaultHTTP), "HTTP listen address (PLAUDIT_HTTP_ADDR)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("public-url", ""), "where browsers reach the web page, for sign-in links, e.g. https://plaudit.example.com (PLAUDIT_PUBLIC_URL); default http:// and --http-addr; https makes the session cookie Secure")
	fs.StringVar(&cfg.NATSURL, "nats-url", env("nats-url", ""), "use this external NATS instead of embedding one (PLAUDIT_NATS_URL)")
	fs.StringVar(&cfg.NATSListen, "nats-listen", env("nats-listen", ""), "expose the embedded NATS on host:port, e.g. 127.0.0.1:4222 (PLAUDIT_NATS_LISTEN); every connection authenticates")
	fs.StringVar(&cfg.NATSKeysDir, "nats-keys", env("nats-keys", ""), "the NATS operator and account keys (plauditd nats-init); embedded default <data-dir>/nats/keys (PLAUDIT_NATS_KEYS)")
	fs.StringVar(&cfg.NATSCreds, "nats-creds", env("nats-creds", ""), "connect to --nats-url with this .creds file instead of the keys (PLAUDIT_NATS_CREDS)")
	fs.StringVar(&cfg.NATSCA, "nats-ca", env("nats-ca", ""), "PEM file of the CAs of --nats-url's TLS certificate (PLAUDIT_NATS_CA)")
	fs.StringVar(&cfg.NATSTLSCert, "nats-tls-cert", env("nats-tls-cert", ""), "PEM certificate: the embedded NATS port requires TLS (PLAUDIT_NATS_TLS_CERT)")
	fs.StringVar(&cfg.NATSTLSKey, "nats-tls-key", env("nats-tls-key", ""), "PEM key of --nats-tls-cert (PLAUDIT_NATS_TLS_KEY)")
	fs.BoolVar(&cfg.SyncAlways, "sync-always", syncAlways, "fsync every JetStream write before acknowledging it (PLAUDIT_SYNC_ALWAYS)")
	fs.IntVar(&cfg.Replicas, "replicas", replicas, "stream replicas on an external cluster (PLAUDIT_REPLICAS)")
	fs.StringVar(&cfg.Replica, "replica", env("replica", ""), "tells apart replicas of a projector on one stream (PLAUDIT_REPLICA)")
	tenantLabel, tenantLabelErr := strconv.ParseBool(env("metrics-tenant-label", "false"))
	fs.BoolVar(&cfg.MetricsTenantLabel, "metrics-tenant-label", tenantLabel, "label the API's request counter on /metrics with the tenant: a series per tenant, route, status class and role (PLAUDIT_METRICS_TENANT_LABEL); off by default")
	fs.StringVar(&chDSN, "clickhouse-dsn", env("clickhouse-dsn", ""), "write analytics to this ClickHouse, clickhouse://host:9000/database (PLAUDIT_CLICKHOUSE_DSN); empty: no analytics")
	fs.StringVar(&cfg.SealKey, "seal-key", env("seal-key", ""), "key file sealing integrations' secrets at rest; default <data-dir>/seal.key, made on the first start; engines sharing a stream share it (PLAUDIT_SEAL_KEY)")
	slackURL := fs.String("slack-api-url", env("slack-api-url", slack.DefaultAPIURL), "base URL of Slack's Web API; point it at a fake (go run ./internal/slackfake/cmd/slackfake) to try the Slack app locally (PLAUDIT_SLACK_API_URL)")
	allowHTTP := fs.String("webhook-allow-http", env("webhook-allow-http", ""), "comma-separated hosts that webhooks and integrations may reach by plain http, at any address, e.g. 127.0.0.1 for a local receiver (PLAUDIT_WEBHOOK_ALLOW_HTTP); by default only https to public addresses")
	pprofAddr := fs.String("pprof-addr", env("pprof-addr", ""), "serve Go's profiles (/debug/pprof/) on this loopback host:port, e.g. 127.0.0.1:6060 (PLAUDIT_PPROF_ADDR); empty: off")
	level := fs.String("log-level", env("log-level", "info"), "debug, info, warn or error (PLAUDIT_LOG_LEVEL)")
	otlp := fs.String("otlp-endpoint", env("otlp-endpoint", ""), "export traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (PLAUDIT_OTLP_ENDPOINT); empty: OTEL_EXPORTER_OTLP_ENDPOINT when set, else nothing is traced")
	sample, sampleEnvErr := strconv.ParseFloat(env("trace-sample", strconv.FormatFloat(tracing.DefaultSampleRatio, 'g', -1, 64)), 64)
	fs.Float64Var(&sample, "trace-sample", sample, "share of new traces recorded, 0 to 1; a request whose caller sampled its trace is always recorded (PLAUDIT_TRACE_SAMPLE)")
	gcDefault, gcEnvErr := strconv.Atoi(env("gc-percent", strconv.Itoa(engine.DefaultGCPercent)))
	_, gc.set = os.LookupEnv("PLAUDIT_GC_PERCENT")
	fs.IntVar(&gc.value, "gc-percent", gcDefault, "garbage collector target, as GOGC; GOGC in the environment wins over the default (PLAUDIT_GC_PERCENT)")
	memDefault, memEnvErr := strconv.Atoi(env("memory-limit-mib", strconv.Itoa(engine.DefaultMemoryLimitMiB)))
	_, mem.set = os.LookupEnv("PLAUDIT_MEMORY_LIMIT_MIB")
	fs.IntVar(&mem.value, "memory-limit-mib", memDefault, "soft limit on the Go runtime's memory, in MiB, as GOMEMLIMIT; 0 for none; GOMEMLIMIT in the environment wins over the default (PLAUDIT_MEMORY_LIMIT_MIB)")
	if err := fs.Parse(args); err != nil {
		return options{cfg: cfg, gc: gc}, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "gc-percent":
			gc.set = true
		case "memory-limit-mib":
			mem.set = true
		}
	})
	if fs.NArg() > 0 {
		return options{cfg: cfg, gc: gc}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.BootstrapKey = os.Getenv("PLAUDIT_BOOTSTRAP_KEY")
	for _, h := range strings.Split(*allowHTTP, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.WebhookAllowHTTP = append(cfg.WebhookAllowHTTP, h)
		}
	}
	var errs []error
	if err := slack.CheckAPIURL(*slackURL); err != nil {
		errs = append(errs, err)
	}
	cfg.Integrations = integrations(*slackURL)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		errs = append(errs, fmt.Errorf("log-level: %w", err))
	}
	if memEnvErr != nil || mem.value < 0 {
		errs = append(errs, fmt.Errorf("memory-limit-mib: must be a whole number of MiB, 0 for none, got %s", env("memory-limit-mib", strconv.Itoa(mem.value))))
	}
	if tenantLabelErr != nil {
		errs = append(errs, fmt.Errorf("metrics-tenant-label: must be true or false, got %s", env("metrics-tenant-label", "")))
	}
	if gcEnvErr != nil || gc.value < 10 {
		errs = append(errs, fmt.Errorf("gc-percent: must be a whole number of at least 10, got %s", env("gc-percent", strconv.Itoa(gc.value))))
	}
	if *pprofAddr != "" {
		if err := checkPprofAddr(*pprofAddr); err != nil {
			errs = append(errs, err)
		}
	}
	if sampleEnvErr != nil {
		errs = append(errs, fmt.Errorf("trace-sample: want a share from 0 to 1, got PLAUDIT_TRACE_SAMPLE=%s", env("trace-sample", "")))
	}
	errs = append(errs, checkOTLP(*otlp, sample)...)
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	return options{cfg: cfg, level: lvl, gc: gc, memLimit: mem, clickhouse: chDSN, pprofAddr: *pprofAddr, otlp: *otlp, sample: sample}, errors.Join(errs...)
}
