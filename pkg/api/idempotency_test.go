package api_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/event"
)

func idem(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// TestIdempotencyKey: a retry with the same key and body gets the same
// answer and appends nothing; the same key with another body is refused;
// refusals are replayed too, even when the state has changed since.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	ana := f.keys["ana"]

	before := streamLen(t, f.e)
	first := f.give(t, ana, http.StatusCreated, nil, idem("give-1"))
	again := f.give(t, ana, http.StatusCreated, nil, idem("give-1"))
	if !bytes.Equal(first.Body, again.Body) {
		t.Errorf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if got := streamLen(t, f.e) - before; got != 1 {
		t.Errorf("stream grew by %d, want 1", got)
	}

	r := f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"to": []string{"cy"}}, idem("give-1"))
	wantProblem(t, r, http.StatusUnprocessableEntity, "Idempotency-Key")

	// The key is scoped to the API key: another caller's "give-1" is its own.
	f.give(t, f.keys["bo"], http.StatusCreated, map[string]any{"to": []string{"cy"}}, idem("give-1"))

	// A refusal is stored and replayed: fay does not exist yet, and still
	// does not for this key after she joins.
	refused := f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"to": []string{"fay"}}, idem("give-2"))
	wantProblem(t, refused, http.StatusUnprocessableEntity, "to")
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/fay", f.admin, `{"name":"Fay","team":"sales","time_zone":"UTC"}`, nil))
	n := streamLen(t, f.e)
	replayed := f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"to": []string{"fay"}}, idem("give-2"))
	if !bytes.Equal(refused.Body, replayed.Body) || replayed.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("refusal not replayed:\n%s\n%s", refused.Body, replayed.Body)
	}
	if streamLen(t, f.e) != n {
		t.Error("a replayed refusal grew the stream")
	}
	// Without the key the same request now succeeds.
	f.give(t, ana, http.StatusCreated, map[string]any{"to": []string{"fay"}}, nil)

	// Other operations honour the key too.
	react := func() response {
		return f.do(t, "POST", "/v1/kudos/"+first.Str("id")+"/reactions", f.keys["bo"], `{"emoji":"🎉"}`, idem("react-1"))
	}
	r1, r2 := must(t, http.StatusCreated, react()), must(t, http.StatusCreated, react())
	if !bytes.Equal(r1.Body, r2.Body) {
		t.Errorf("reaction replay differs:\n%s\n%s", r1.Body, r2.Body)
	}
	// The same key on another kudos is another request.
	other := f.give(t, ana, http.StatusCreated, map[string]any{"to": []string{"dee"}}, nil).Str("id")
	wantProblem(t, f.do(t, "POST", "/v1/kudos/"+other+"/reactions", f.keys["bo"], `{"emoji":"🎉"}`, idem("react-1")),
		http.StatusUnprocessableEntity, "Idempotency-Key")
}

// TestRatingResent: a platform re-sending a rating, without any
// idempotency key, gets the original event back and the stream is
// unchanged, even when the re-send differs.
func TestRatingResent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, engine.Config{})
	pub := f.keys["publisher"]
	body := f.rating("bo", "cxone-call-981")

	first := must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", pub, body, nil))
	if first.JSON["replayed"] != nil {
		t.Errorf("first rating says replayed: %s", first.Body)
	}
	n := streamLen(t, f.e)
	for _, resend := range []map[string]any{body, func() map[string]any {
		b := f.rating("bo", "cxone-call-981")
		b["score"], b["comment"] = 4, "changed my mind"
		return b
	}()} {
		r := must(t, http.StatusOK, f.do(t, "POST", "/v1/ratings", pub, resend, nil))
		if r.Str("id") != first.Str("id") || r.Seq() != first.Seq() || r.JSON["replayed"] != true {
			t.Errorf("re-send answered %s, first %s", r.Body, first.Body)
		}
	}
	if streamLen(t, f.e) != n {
		t.Error("a re-sent rating grew the stream")
	}
	// Another platform's interaction with the same id is another rating.
	other := f.rating("bo", "cxone-call-981")
	other["platform"] = "genesys"
	must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", pub, other, nil))
}

// TestRestart stops an engine and starts another on the same data: every
// event is still there, keys still work, the allowance spent before counts,
// and a retry with an earlier Idempotency-Key gets the original answer.
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newFixture(t, nil, engine.Config{DataDir: dir})
	ana := f.keys["ana"]
	first := f.give(t, ana, http.StatusCreated, map[string]any{"points": 3}, idem("before-restart"))
	refused := f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"points": 3}, idem("refused-before-restart"))
	rating := must(t, http.StatusCreated, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], f.rating("bo", "call-1"), nil))
	n := streamLen(t, f.e)
	lastSeq := lastTenantSeq(t, f.e, "default")
	events := readSSE(t, f.e, f.admin, "after=0", nil, func(ev sseEvent) bool { return ev.Seq == lastSeq })
	stopEngine(t, f.e)

	f.e = startEngine(t, engine.Config{DataDir: dir})
	if got := streamLen(t, f.e); got != n {
		t.Fatalf("after restart the stream holds %d events, want %d", got, n)
	}
	again := readSSE(t, f.e, f.admin, "after=0", nil, func(ev sseEvent) bool { return ev.Seq == lastSeq })
	if len(again) != len(events) {
		t.Errorf("stream shows %d events after restart, %d before", len(again), len(events))
	}
	for i := range min(len(again), len(events)) {
		if again[i].Seq != events[i].Seq || again[i].Env.ID != events[i].Env.ID {
			t.Errorf("event %d: %d %s after restart, %d %s before", i, again[i].Seq, again[i].Env.ID, events[i].Seq, events[i].Env.ID)
		}
	}

	retry := f.give(t, ana, http.StatusCreated, map[string]any{"points": 3}, idem("before-restart"))
	if !bytes.Equal(retry.Body, first.Body) || retry.Str("id") != first.Str("id") || retry.Seq() != first.Seq() {
		t.Errorf("retry after restart answered %s, first %s", retry.Body, first.Body)
	}
	retryRefused := f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"points": 3}, idem("refused-before-restart"))
	if !bytes.Equal(retryRefused.Body, refused.Body) {
		t.Errorf("refusal after restart %s, before %s", retryRefused.Body, refused.Body)
	}
	r := must(t, http.StatusOK, f.do(t, "POST", "/v1/ratings", f.keys["publisher"], f.rating("bo", "call-1"), nil))
	if r.Str("id") != rating.Str("id") || r.Seq() != rating.Seq() {
		t.Errorf("rating re-sent after restart: %s, first %s", r.Body, rating.Body)
	}
	if got := streamLen(t, f.e); got != n {
		t.Errorf("retries after restart grew the stream to %d, want %d", got, n)
	}

	// The 3 points spent before the restart still count: 2 are left.
	r = f.give(t, ana, http.StatusUnprocessableEntity, map[string]any{"points": 3}, nil)
	if a, _ := r.JSON["allowance"].(map[string]any); a["remaining"] != 2.0 {
		t.Errorf("allowance after restart: %s", r.Body)
	}
	f.give(t, ana, http.StatusCreated, map[string]any{"points": 2}, nil)
	// Members, the policy and keys of both tenants survived.
	must(t, http.StatusCreated, f.do(t, "PUT", "/v1/members/yan", f.other, `{"name":"Yan","team":"ops","time_zone":"UTC"}`, nil))
	f.give(t, f.keys["integration"], http.StatusCreated, map[string]any{"from": "bo", "to": []string{"dee"}, "values": []string{"kindness"}}, nil)
}

// lastTenantSeq is the sequence of the tenant's newest event.
func lastTenantSeq(t *testing.T, e *engine.Engine, tenant string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.Store.Last(ctx, event.TenantFilter(tenant))
	if err != nil {
		t.Fatalf("last event of %s: %v", tenant, err)
	}
	return rec.Seq
}
