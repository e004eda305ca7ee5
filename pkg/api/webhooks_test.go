package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/webhooktest"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/testenv"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// quickRetries spend a retry budget of half a second.
func quickRetries() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 50*time.Millisecond, 500*time.Millisecond
	return b
}

func webhookFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, nil, engine.Config{WebhookAllowHTTP: []string{"127.0.0.1"}, RelayRetries: quickRetries})
}

// TestWebhookSubscriptions: an admin subscribes an endpoint and is shown
// its secret once; deliveries verify with it (checked by the Standard
// Webhooks reference library); a rotation signs with both secrets for the
// overlap; a deleted subscription's consumer is gone. Bad input is refused
// naming the field, and only admins manage webhooks.
func TestWebhookSubscriptions(t *testing.T) {
	t.Parallel()
	f := webhookFixture(t)
	rc := webhooktest.New(t, nil)

	for _, tt := range []struct {
		name  string
		key   string
		body  map[string]any
		code  int
		field string
	}{
		{"member key", f.keys["ana"], map[string]any{"url": rc.URL}, http.StatusForbidden, "Authorization"},
		{"integration key", f.keys["integration"], map[string]any{"url": rc.URL}, http.StatusForbidden, "Authorization"},
		{"no url", f.admin, map[string]any{}, http.StatusUnprocessableEntity, "url"},
		{"metadata address", f.admin, map[string]any{"url": "https://169.254.169.254/latest"}, http.StatusUnprocessableEntity, "url"},
		{"http elsewhere", f.admin, map[string]any{"url": "http://hooks.example.com/in"}, http.StatusUnprocessableEntity, "url"},
		{"unknown type", f.admin, map[string]any{"url": rc.URL, "types": []string{event.TypeKudosGiven, "plaudit.nope.v1"}}, http.StatusUnprocessableEntity, "types[1]"},
		{"older version", f.admin, map[string]any{"url": rc.URL, "types": []string{event.TypeMemberUpsertedV1}}, http.StatusUnprocessableEntity, "types[0]"},
	} {
		wantProblem(t, f.do(t, "POST", "/v1/webhooks", tt.key, tt.body, nil), tt.code, tt.field)
	}
	if r := must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks", f.admin, nil, nil)); len(r.JSON["webhooks"].([]any)) != 0 {
		t.Fatalf("refused subscriptions were kept: %s", r.Body)
	}

	idem := map[string]string{"Idempotency-Key": "subscribe-1"}
	created := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin,
		map[string]any{"url": rc.URL + "/in?token=s3cr3t", "types": []string{event.TypeKudosGiven}}, idem))
	id, secret := created.Str("id"), created.Str("secret")
	if !strings.HasPrefix(id, "wh_") || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("created %s", created.Body)
	}
	if strings.Contains(created.Str("url"), "s3cr3t") {
		t.Errorf("the URL's query is shown: %s", created.Str("url"))
	}
	again := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin,
		map[string]any{"url": rc.URL + "/in?token=s3cr3t", "types": []string{event.TypeKudosGiven}}, idem))
	if again.Str("id") != id || again.Str("secret") != "" {
		t.Errorf("a retried create answered %s; want the same id and no secret", again.Body)
	}
	rc.Trust(t, secret)

	first := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	if !rc.Wait(1, 20*time.Second) {
		t.Fatalf("nothing delivered (%d did not verify)", rc.Bad())
	}
	if got := rc.IDs(); len(got) != 1 || got[0] != first {
		t.Fatalf("delivered %v, want %s", got, first)
	}

	// Rotated with an overlap: deliveries carry both signatures, so a
	// receiver still on the old secret verifies them, and one that took
	// the new one does too.
	rot := must(t, http.StatusOK, f.do(t, "POST", "/v1/webhooks/"+id+"/rotate", f.admin, map[string]any{"overlap_seconds": 3600}, nil))
	newSecret := rot.Str("secret")
	if !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret || rot.JSON["secrets"] != float64(2) {
		t.Fatalf("rotated: %s", rot.Body)
	}
	second := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	if !rc.Wait(2, 20*time.Second) {
		t.Fatalf("the old secret no longer verifies during the overlap (%d bad)", rc.Bad())
	}
	rc.Trust(t, newSecret)
	third := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	if !rc.Wait(3, 20*time.Second) {
		t.Fatalf("the new secret does not verify (%d bad)", rc.Bad())
	}
	if got := rc.IDs(); len(got) != 3 || got[1] != second || got[2] != third {
		t.Errorf("delivered %v, want %s, %s, %s", got, first, second, third)
	}
	wantProblem(t, f.do(t, "POST", "/v1/webhooks/"+id+"/rotate", f.admin, map[string]any{"overlap_seconds": -1}, nil), http.StatusUnprocessableEntity, "overlap_seconds")

	list := must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks", f.admin, nil, nil))
	if hooks := list.JSON["webhooks"].([]any); len(hooks) != 1 || strings.Contains(string(list.Body), "s3cr3t") || strings.Contains(string(list.Body), "whsec_") {
		t.Errorf("list: %s", list.Body)
	}
	// Another tenant's admin does not see it.
	wantProblem(t, f.do(t, "GET", "/v1/webhooks/"+id, f.other, nil, nil), http.StatusNotFound, "id")

	must(t, http.StatusOK, f.do(t, "DELETE", "/v1/webhooks/"+id, f.admin, nil, nil))
	wantProblem(t, f.do(t, "GET", "/v1/webhooks/"+id, f.admin, nil, nil), http.StatusNotFound, "id")
	gone := testenv.Within(20*time.Second, func() bool {
		_, err := f.e.Store.Stream().Consumer(context.Background(), webhook.RelayName(id))
		return errors.Is(err, jetstream.ErrConsumerNotFound)
	})
	if !gone {
		t.Error("the deleted subscription's consumer is still there")
	}
}

// TestWebhookDeadLettersRedelivered: an event the endpoint refuses for its
// whole retry budget shows in the subscription's deliveries, later ones
// are delivered meanwhile, and redelivering sends it once the endpoint
// takes it.
func TestWebhookDeadLettersRedelivered(t *testing.T) {
	t.Parallel()
	f := webhookFixture(t)
	var mu sync.Mutex
	down := true
	rc := webhooktest.New(t, func(id string, n int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	created := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin, map[string]any{"url": rc.URL, "types": []string{event.TypeKudosGiven}}, nil))
	id := created.Str("id")
	rc.Trust(t, created.Str("secret"))

	lost := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	var dead []any
	if !testenv.Within(20*time.Second, func() bool {
		r := must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks/"+id+"/deliveries", f.admin, nil, nil))
		dead, _ = r.JSON["dead"].([]any)
		return len(dead) == 1
	}) {
		t.Fatalf("no dead letter: %v", dead)
	}
	letter := dead[0].(map[string]any)
	if letter["event_id"] != lost || letter["attempts"].(float64) < 2 || !strings.Contains(letter["last_error"].(string), "500") {
		t.Errorf("dead letter %v", letter)
	}
	// Still down: the redelivery fails and the letter stays.
	wantProblem(t, f.do(t, "POST", "/v1/webhooks/"+id+"/redeliver", f.admin, nil, nil), http.StatusBadGateway, "seq")

	mu.Lock()
	down = false
	mu.Unlock()
	next := f.give(t, f.keys["ana"], http.StatusCreated, nil, nil).Str("id")
	if !rc.Wait(1, 20*time.Second) {
		t.Fatal("the next event was not delivered")
	}
	wantProblem(t, f.do(t, "POST", "/v1/webhooks/"+id+"/redeliver", f.admin, map[string]any{"seq": 999999}, nil), http.StatusNotFound, "seq")
	r := must(t, http.StatusOK, f.do(t, "POST", "/v1/webhooks/"+id+"/redeliver", f.admin, nil, nil))
	if got := r.JSON["redelivered"].([]any); len(got) != 1 || got[0] != letter["seq"] {
		t.Errorf("redelivered %s", r.Body)
	}
	if got := rc.IDs(); len(got) != 2 || got[0] != next || got[1] != lost {
		t.Errorf("delivered %v, want %s then the redelivered %s", got, next, lost)
	}
	after := must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks/"+id+"/deliveries", f.admin, nil, nil))
	if left := after.JSON["dead"].([]any); len(left) != 0 {
		t.Errorf("dead letters after the redelivery: %s", after.Body)
	}

	// An endpoint that cannot be reached: what is kept and shown of the
	// error names its host, never the token in its URL.
	unreachable := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin,
		map[string]any{"url": "http://127.0.0.1:1/hook/s3cr3t-path?token=s3cr3t", "types": []string{event.TypeKudosGiven}}, nil))
	f.give(t, f.keys["bo"], http.StatusCreated, map[string]any{"to": []string{"ana"}}, nil)
	var shown response
	if !testenv.Within(20*time.Second, func() bool {
		shown = must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks/"+unreachable.Str("id")+"/deliveries", f.admin, nil, nil))
		dead, _ := shown.JSON["dead"].([]any)
		return len(dead) == 1
	}) {
		t.Fatalf("no dead letter for the unreachable endpoint: %s", shown.Body)
	}
	retried := f.do(t, "POST", "/v1/webhooks/"+unreachable.Str("id")+"/redeliver", f.admin, nil, nil)
	listed := must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks", f.admin, nil, nil))
	for _, r := range []response{unreachable, shown, retried, listed} {
		if strings.Contains(string(r.Body), "s3cr3t") {
			t.Errorf("an answer shows the URL's token: %s", r.Body)
		}
	}
	if !strings.Contains(string(shown.Body), "http://127.0.0.1:1") {
		t.Errorf("the dead letter does not name the endpoint's host: %s", shown.Body)
	}
}

// TestWebhookEndpointDownFor30s: an endpoint that answers 503 for 30
// seconds, on the default retry schedule, gets every event given
// meanwhile, in order, once it is back.
func TestWebhookEndpointDownFor30s(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{WebhookAllowHTTP: []string{"127.0.0.1"}})
	var downUntil time.Time
	var mu sync.Mutex
	rc := webhooktest.New(t, func(string, int) int {
		mu.Lock()
		defer mu.Unlock()
		if time.Now().Before(downUntil) {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	created := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin, map[string]any{"url": rc.URL, "types": []string{event.TypeKudosGiven}}, nil))
	rc.Trust(t, created.Str("secret"))
	mu.Lock()
	downUntil = time.Now().Add(30 * time.Second)
	mu.Unlock()
	var want []string
	for _, from := range []string{"ana", "bo", "cy", "ana", "bo"} {
		to := "cy"
		if from == "cy" {
			to = "ana"
		}
		want = append(want, f.give(t, f.keys[from], http.StatusCreated, map[string]any{"to": []string{to}}, nil).Str("id"))
	}
	if !rc.Wait(len(want), 3*time.Minute) {
		t.Fatalf("%d of %d delivered after the outage", len(rc.IDs()), len(want))
	}
	if got := rc.IDs(); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if first := rc.Taken()[0].At; first.Before(downUntil) {
		t.Errorf("a delivery was taken at %v, during the outage", first)
	}
}

// TestWebhookGoneDisables: an endpoint answering 410 Gone disables its
// subscription, which says so, and gets nothing more.
func TestWebhookGoneDisables(t *testing.T) {
	t.Parallel()
	f := webhookFixture(t)
	rc := webhooktest.New(t, func(string, int) int { return http.StatusGone })
	created := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin, map[string]any{"url": rc.URL}, nil))
	id := created.Str("id")
	rc.Trust(t, created.Str("secret"))
	f.give(t, f.keys["ana"], http.StatusCreated, nil, nil)
	var sub response
	if !testenv.Within(20*time.Second, func() bool {
		sub = must(t, http.StatusOK, f.do(t, "GET", "/v1/webhooks/"+id, f.admin, nil, nil))
		return sub.Str("disabled_at") != ""
	}) {
		t.Fatalf("not disabled after a 410: %s", sub.Body)
	}
	if !strings.Contains(sub.Str("disabled_reason"), "410") {
		t.Errorf("disabled because %q", sub.Str("disabled_reason"))
	}
}

// TestWebhookSlowEndpointDelaysNoOther: an endpoint that never answers
// holds up its own subscription only.
func TestWebhookSlowEndpointDelaysNoOther(t *testing.T) {
	t.Parallel()
	f := webhookFixture(t)
	stuck := make(chan struct{})
	slow := webhooktest.New(t, func(string, int) int { <-stuck; return http.StatusNoContent })
	t.Cleanup(func() { close(stuck) }) // runs before the receivers close
	fast := webhooktest.New(t, nil)
	for _, rc := range []*webhooktest.Receiver{slow, fast} {
		created := must(t, http.StatusCreated, f.do(t, "POST", "/v1/webhooks", f.admin, map[string]any{"url": rc.URL, "types": []string{event.TypeKudosGiven}}, nil))
		rc.Trust(t, created.Str("secret"))
	}
	var want []string
	for _, from := range []string{"ana", "bo", "ana"} {
		want = append(want, f.give(t, f.keys[from], http.StatusCreated, map[string]any{"to": []string{"cy"}}, nil).Str("id"))
	}
	if !fast.Wait(len(want), 20*time.Second) || !slices.Equal(fast.IDs(), want) {
		t.Errorf("the fast endpoint took %v, want %v", fast.IDs(), want)
	}
	if got := slow.IDs(); len(got) != 0 {
		t.Errorf("the stuck endpoint took %v", got)
	}
}
