package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/plaudit/plaudit/pkg/tracing/tracingtest"
)

// TestTracedPostCarriesTraceparent: a delivery's POST made in a span
// carries that span as its traceparent header, for a receiver that
// traces; one made outside any carries none.
func TestTracedPostCarriesTraceparent(t *testing.T) {
	t.Parallel()
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
	}))
	t.Cleanup(srv.Close)
	d := &Deliverer{Client: srv.Client()}
	ctx, span := tracingtest.New(t).Tracer("test").Start(context.Background(), "deliver")
	defer span.End()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"in a span", ctx, "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"},
		{"outside any", context.Background(), ""},
	} {
		if err := d.send(c.ctx, srv.URL, nil, "01a207c7-d870-7dfc-af0c-706a8b43b1ca", []byte(`{}`)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if h := <-got; h != c.want {
			t.Errorf("%s: traceparent %q, want %q", c.name, h, c.want)
		}
	}
}
