package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/api"
	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// A caller's span context, as its W3C traceparent: the trace the requests
// below say they belong to.
const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
	callerNATS  = "53ce929d0e0e4736"
)

// TestRequestsContinueTheirCallersTrace: over HTTP and over NATS, a
// request carrying a traceparent is served in a server span that is its
// child, the operation's span below that, and the event the operation
// appends carries the trace; a request without one starts a trace of its
// own. An engine without a tracer provider reads no traceparent, and its
// events carry none.
func TestRequestsContinueTheirCallersTrace(t *testing.T) {
	t.Parallel()
	rec := tracingtest.New(t)
	e := startEngine(t, engine.Config{NATSListen: testenv.FreeAddr(t), TracerProvider: rec})
	nc := engineConn(t, e)
	member := map[string]any{"name": "Ana", "team": "support", "time_zone": "Europe/Lisbon"}

	r := must(t, http.StatusCreated, do(t, e, "PUT", "/v1/members/ana", testBootstrapKey, member,
		map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}))
	n := natsDo(t, nc, apiv1.OpUpsertMember, testBootstrapKey, member,
		map[string]string{api.HeaderID: "bo", "traceparent": "00-" + callerTrace + "-" + callerNATS + "-01"})
	if n.Status != http.StatusCreated {
		t.Fatalf("NATS upsert: %d %s", n.Status, n.Body)
	}
	untraced := must(t, http.StatusCreated, do(t, e, "PUT", "/v1/members/cy", testBootstrapKey, member, nil))

	spans := rec.Wait(t, 10*time.Second, func(s tracetest.SpanStubs) bool { return len(s) >= 9 })
	tests := []struct {
		name, server string
		caller       string // the server span's parent; "" for none
		seq          uint64
	}{
		{"HTTP", "PUT /v1/members/{id}", callerSpan, r.Seq()},
		{"NATS", api.ServiceName + "/" + apiv1.OpUpsertMember, callerNATS, seqOf(t, n.Body)},
		{"HTTP without a traceparent", "PUT /v1/members/{id}", "", untraced.Seq()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := storedAt(t, e, tt.seq)
			if len(stored.TraceParent) != 55 {
				t.Fatalf("the event carries traceparent %q", stored.TraceParent)
			}
			// Up from the append whose context the event carries.
			var appended tracetest.SpanStub
			for _, s := range spans {
				if s.SpanContext.SpanID().String() == stored.TraceParent[36:52] {
					appended = s
				}
			}
			op, ok := tracingtest.ByID(spans, appended.Parent)
			if !ok || op.Name != apiv1.OpUpsertMember {
				t.Fatalf("the append's parent is no %s span:\n%s", apiv1.OpUpsertMember, tracingtest.Describe(spans))
			}
			server, ok := tracingtest.ByID(spans, op.Parent)
			if !ok || server.Name != tt.server || server.SpanKind != trace.SpanKindServer {
				t.Fatalf("the operation's parent is no server span %s:\n%s", tt.server, tracingtest.Describe(spans))
			}
			switch {
			case tt.caller == "" && server.Parent.IsValid():
				t.Errorf("the server span has a parent, %s", server.Parent.SpanID())
			case tt.caller != "" && (server.Parent.SpanID().String() != tt.caller || server.Parent.TraceID().String() != callerTrace):
				t.Errorf("the server span's parent is %s in trace %s, want the caller's %s in %s",
					server.Parent.SpanID(), server.Parent.TraceID(), tt.caller, callerTrace)
			}
		})
	}

	t.Run("tracing off", func(t *testing.T) {
		e := startEngine(t, engine.Config{})
		r := must(t, http.StatusCreated, do(t, e, "PUT", "/v1/members/ana", testBootstrapKey, member,
			map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}))
		if got := storedAt(t, e, r.Seq()); got.TraceParent != "" {
			t.Errorf("the event carries traceparent %q", got.TraceParent)
		}
	})
}

// storedAt reads the event at seq.
func storedAt(t *testing.T, e *engine.Engine, seq uint64) eventstore.Recorded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.Store.Get(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// seqOf is the stream sequence of a write's answer.
func seqOf(t *testing.T, body []byte) uint64 {
	t.Helper()
	var w apiv1.Written
	if err := json.Unmarshal(body, &w); err != nil || w.Seq == 0 {
		t.Fatalf("no seq in %s: %v", body, err)
	}
	return w.Seq
}
