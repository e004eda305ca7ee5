package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// TestDeliveriesContinueTheTrace: each attempt at delivering an event
// appended in a trace is a consumer span, a child of the event's append,
// and Send runs in it; the failed attempt is marked so. It holds for a
// relay given the provider and for one a Supervisor hands it to.
func TestDeliveriesContinueTheTrace(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"relay", "supervisor"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			rec := tracingtest.New(t)
			ctx, caller := rec.Tracer("test").Start(context.Background(), "caller")
			env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), eventtest.Kudos())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.store.Append(ctx, eventstore.Pending{Event: env}); err != nil {
				t.Fatal(err)
			}
			caller.End()

			var (
				mu    sync.Mutex
				inCtx []trace.SpanContext
			)
			r := w.relay(func(ctx context.Context, env event.Envelope, raw []byte) error {
				mu.Lock()
				defer mu.Unlock()
				inCtx = append(inCtx, trace.SpanContextFromContext(ctx))
				if len(inCtx) == 1 {
					return errors.New("503")
				}
				return nil
			})
			rctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				if via == "relay" {
					r.TracerProvider = rec
					_ = r.Run(rctx)
					return
				}
				s := &relay.Supervisor{Stream: w.store.Stream(), TracerProvider: rec,
					Desired: func(context.Context) (map[string]relay.Spec, error) {
						return map[string]relay.Spec{r.Name: {Relay: *r}}, nil
					}}
				_ = s.Run(rctx)
			}()
			t.Cleanup(func() { cancel(); <-done })

			name := "deliver " + event.TypeKudosGiven
			spans := rec.Wait(t, 20*time.Second, func(s tracetest.SpanStubs) bool {
				n := 0
				for _, sp := range s {
					if sp.Name == name {
						n++
					}
				}
				return n == 2
			})
			appended, ok := tracingtest.Find(spans, "append "+event.TypeKudosGiven, caller.SpanContext())
			if !ok {
				t.Fatalf("no append span:\n%s", tracingtest.Describe(spans))
			}
			mu.Lock()
			defer mu.Unlock()
			var attempts []tracetest.SpanStub
			for _, s := range spans {
				if s.Name == name {
					attempts = append(attempts, s)
				}
			}
			for i, s := range attempts {
				if s.Parent.SpanID() != appended.SpanContext.SpanID() || s.SpanKind != trace.SpanKindConsumer {
					t.Errorf("attempt %d: a %v span under %s, want a consumer span under the append", i+1, s.SpanKind, s.Parent.SpanID())
				}
				if s.SpanContext.SpanID() != inCtx[i].SpanID() {
					t.Errorf("attempt %d: Send ran in span %s, not the attempt's %s", i+1, inCtx[i].SpanID(), s.SpanContext.SpanID())
				}
			}
			if attempts[0].Status.Code != codes.Error || !strings.Contains(attempts[0].Status.Description, "503") || attempts[1].Status.Code == codes.Error {
				t.Errorf("statuses %v, %v: want the failed attempt marked", attempts[0].Status, attempts[1].Status)
			}
		})
	}
}
