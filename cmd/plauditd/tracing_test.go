package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
)

// collector is an OTLP/HTTP trace receiver: it decodes each export to
// /v1/traces and hands it on.
func collector(t *testing.T) (string, <-chan *coltracepb.ExportTraceServiceRequest) {
	t.Helper()
	got := make(chan *coltracepb.ExportTraceServiceRequest, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		b, err := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- &req
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

// TestTracesExportedOverOTLP: with --otlp-endpoint, or with the standard
// OTEL_EXPORTER_OTLP_ENDPOINT instead, a request's spans reach the
// collector, from service plauditd, by the time the engine has stopped
// (its stop flushes them); with neither, nothing is traced at all.
func TestTracesExportedOverOTLP(t *testing.T) {
	for _, name := range []string{"--otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		t.Run(name, func(t *testing.T) {
			url, got := collector(t)
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			args := []string{"--trace-sample", "1"}
			if name == "--otlp-endpoint" {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
				args = append(args, "--otlp-endpoint", url)
			} else {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
			}
			o, err := parseConfig(args)
			if err != nil {
				t.Fatal(err)
			}
			tp, err := tracerProvider(context.Background(), o.otlp, o.sample)
			if err != nil || tp == nil {
				t.Fatalf("tracerProvider: %v, %v", tp, err)
			}
			e := enginetest.Start(t, engine.Config{TracerProvider: tp})
			admin := e.Key(t, "acme", auth.Admin, "")
			e.Do(t, "PUT", "/v1/members/ana", admin, map[string]any{"name": "Ana", "team": "support", "time_zone": "Europe/Lisbon"}).
				Want(t, http.StatusCreated)
			e.Stop()

			// The batcher exports on its own every 5 s; within 2 s of the
			// stop the spans are there only because the stop flushed them.
			deadline := time.After(2 * time.Second)
			for {
				select {
				case req := <-got:
					if exported(req, "PUT /v1/members/{id}") {
						return
					}
				case <-deadline:
					t.Fatal("the collector received no span of the request")
				}
			}
		})
	}
	t.Run("neither", func(t *testing.T) {
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
		o, err := parseConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		if tp, err := tracerProvider(context.Background(), o.otlp, o.sample); tp != nil || err != nil {
			t.Errorf("tracerProvider = %v, %v; want none", tp, err)
		}
	})
}

// exported reports whether req holds a span named name of service
// plauditd.
func exported(req *coltracepb.ExportTraceServiceRequest, name string) bool {
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if s.GetName() == name && service == "plauditd" {
					return true
				}
			}
		}
	}
	return false
}
