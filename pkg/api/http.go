package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// Readiness reports whether the engine can serve: nil when ready.
type Readiness func(ctx context.Context) error

// Handler returns the HTTP API: the v1 operations, GET /v1/stream, and the
// unauthenticated GET /healthz and GET /readyz.
func (g *Gateway) Handler(ready Readiness) http.Handler {
	mux := newRouteMux()
	for _, o := range apiv1.Ops {
		mux.HandleFunc(o.Route, func(w http.ResponseWriter, r *http.Request) { g.serveOp(w, r, o.Name) })
	}
	for _, q := range apiv1.Queries {
		if q.Route != "" {
			mux.HandleFunc(q.Route, g.serveQuery(q))
		}
	}
	mux.HandleFunc("GET /v1/members/{id}/preferences", g.servePreferences)
	mux.HandleFunc("GET /v1/feed", g.serveFeed)
	mux.HandleFunc(apiv1.MembersRoute, g.serveMembers)
	mux.HandleFunc(apiv1.PolicyRoute, g.servePolicy)
	mux.HandleFunc("GET /v1/projections", g.serveProjections)
	mux.HandleFunc("POST /v1/projections/{name}/rebuild", g.serveRebuild)
	mux.HandleFunc("GET /v1/teams/{team}/gaps", g.serveGaps)
	mux.HandleFunc("GET /v1/stream", g.serveStream)
	mux.HandleFunc(apiv1.RatingBatchRoute, g.serveRatingBatch)
	for _, r := range g.routes {
		mux.Handle(r.pattern, r.h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			p := problem(http.StatusServiceUnavailable, "not-ready", "Not ready", "", err.Error())
			writeProblem(w, p)
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, notFound("", "no route "+r.Method+" "+r.URL.Path))
	})
	return g.traced(mux, g.instrument(mux, g.limitClients(mux)))
}

// bearer extracts the key of an "Authorization: Bearer <key>" header.
func bearer(r *http.Request) string { return bearerKey(r.Header.Get("Authorization")) }

// bearerKey extracts the key of an Authorization value "Bearer <key>", the
// same for HTTP and NATS; anything else is no key.
func bearerKey(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (g *Gateway) serveOp(w http.ResponseWriter, r *http.Request, op string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body", "the body is larger than 64 KiB"))
		return
	}
	if err != nil {
		writeProblem(w, badRequest("body", "could not read the body"))
		return
	}
	// A body is JSON: one labelled otherwise (a form, plain text) is
	// refused rather than read as JSON anyway. An unlabelled body is read
	// as JSON.
	if ct := r.Header.Get("Content-Type"); ct != "" && len(body) > 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeProblem(w, problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
				"Content-Type", "the body must be application/json, not "+ct))
			return
		}
	}
	channel := "api"
	if strings.HasPrefix(r.UserAgent(), "plaudit-cli/") {
		channel = "cli"
	}
	// DELETE bodies are dropped by some clients and proxies: the reason
	// may come as a query parameter instead.
	if len(body) == 0 && r.URL.Query().Has("reason") {
		body, _ = json.Marshal(map[string]string{"reason": r.URL.Query().Get("reason")})
	}
	reply := g.Do(r.Context(), Call{
		Op: op, Key: bearer(r), IdempotencyKey: r.Header.Get("Idempotency-Key"),
		ID: r.PathValue("id"), Body: body, Channel: channel,
	})
	if reply.Replayed {
		w.Header().Set(HeaderReplayed, "true")
	}
	if reply.IsProblem() {
		w.Header().Set("Content-Type", "application/problem+json")
		setRetryAfter(w.Header(), reply.RetryAfter)
		if reply.Status == http.StatusServiceUnavailable && reply.RetryAfter == 0 {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(reply.Status)
		_, _ = w.Write(reply.Body)
		return
	}
	writeJSON(w, reply.Status, reply.Body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// With its length the answer goes out whole, not in chunks.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeProblem(w http.ResponseWriter, p *apiv1.Problem) {
	setRetryAfter(w.Header(), p.RetryAfter)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_, _ = w.Write(problemBody(p))
}
