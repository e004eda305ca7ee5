package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// otlpEnv are the standard variables that name an OTLP endpoint; either
// turns export on, as --otlp-endpoint does, and the exporter reads them
// itself (with OTEL_EXPORTER_OTLP_HEADERS and the rest).
var otlpEnv = []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}

// tracesOn reports whether plauditd exports traces: --otlp-endpoint
// (PLAUDIT_OTLP_ENDPOINT) or one of otlpEnv is set.
func tracesOn(endpoint string) bool {
	if endpoint != "" {
		return true
	}
	for _, v := range otlpEnv {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// checkOTLP reports whether --otlp-endpoint and --trace-sample are usable.
func checkOTLP(endpoint string, sample float64) []error {
	var errs []error
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("otlp-endpoint %q: want the collector's base URL, e.g. http://127.0.0.1:4318", endpoint))
		}
	}
	if !(sample >= 0 && sample <= 1) {
		errs = append(errs, fmt.Errorf("trace-sample %v: want a share from 0 to 1", sample))
	}
	return errs
}

// tracerProvider is what plauditd traces with: nil (nothing recorded,
// nothing exported) unless tracesOn, else spans exported over OTLP/HTTP
// in batches, parent-based sampling with sample of the new traces
// (tracing.NewProvider). endpoint is a base URL, as
// OTEL_EXPORTER_OTLP_ENDPOINT is: spans go to its /v1/traces.
func tracerProvider(ctx context.Context, endpoint string, sample float64) (*sdktrace.TracerProvider, error) {
	if !tracesOn(endpoint) {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(endpoint, "/")+"/v1/traces"))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp: %w", err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", "plauditd"), attribute.String("service.version", engine.Version)),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("otlp: resource: %w", err)
	}
	return tracing.NewProvider(exp, sample, sdktrace.WithResource(res)), nil
}
