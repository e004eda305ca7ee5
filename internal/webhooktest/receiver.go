// Package webhooktest is a webhook receiver for tests and benchmarks: an
// HTTP endpoint that verifies every delivery with the Standard Webhooks
// reference library (not Plaudit's own signing code) and records what it
// took, in order.
package webhooktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Delivery is a delivery the receiver took.
type Delivery struct {
	ID   string // webhook-id: the event id
	Type string // the CloudEvent's type
	At   time.Time
	Body []byte
}

// Receiver is the endpoint. Status decides the answer to the n-th request
// carrying a webhook-id (2xx: taken); every request is answered 204 when
// it is nil.
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	verifier []*standardwebhooks.Webhook
	status   func(id string, n int) int
	tries    map[string]int
	taken    []Delivery
	bad      int
	notify   chan struct{}
}

// New starts a receiver that the test's end stops.
func New(tb testing.TB, status func(id string, n int) int) *Receiver {
	tb.Helper()
	rc := &Receiver{status: status, tries: map[string]int{}, notify: make(chan struct{}, 1)}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ok := false
	for _, v := range rc.verifier {
		if v.Verify(body, r.Header) == nil {
			ok = true
			break
		}
	}
	if !ok {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	rc.tries[id]++
	code := http.StatusNoContent
	if rc.status != nil {
		code = rc.status(id, rc.tries[id])
	}
	if code/100 == 2 {
		var ce struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &ce)
		rc.taken = append(rc.taken, Delivery{ID: id, Type: ce.Type, At: time.Now(), Body: body})
		select {
		case rc.notify <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(code)
}

// Trust makes the receiver accept deliveries signed with secret (whsec_…)
// alone, replacing the ones it trusted.
func (rc *Receiver) Trust(tb testing.TB, secrets ...string) {
	tb.Helper()
	var vs []*standardwebhooks.Webhook
	for _, s := range secrets {
		v, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, v)
	}
	rc.mu.Lock()
	rc.verifier = vs
	rc.mu.Unlock()
}

// Taken returns the deliveries answered 2xx, in the order they came.
func (rc *Receiver) Taken() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.taken)
}

// IDs returns the webhook-ids of Taken.
func (rc *Receiver) IDs() []string {
	var out []string
	for _, d := range rc.Taken() {
		out = append(out, d.ID)
	}
	return out
}

// Bad is how many requests did not verify.
func (rc *Receiver) Bad() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.bad
}

// Wait waits until the receiver has taken n deliveries or d has passed,
// and reports whether it has.
func (rc *Receiver) Wait(n int, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		rc.mu.Lock()
		got := len(rc.taken)
		rc.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-rc.notify:
		case <-deadline.C:
			return false
		}
	}
}
