package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// RoutePrefix is where the inbound routes are, each under its tenant:
// POST /v1/integrations/slack/{tenant}/commands, …/events and
// …/interactivity.
const RoutePrefix = "/v1/integrations/slack/"

// MaxBody bounds an inbound request's body.
const MaxBody = 64 << 10

// answerWithin is how long a request may take: Slack gives up after
// three seconds, and a slash command that is not answered by then shows
// the person an error.
const answerWithin = 2500 * time.Millisecond

// Handler returns the inbound routes (Routes) on a mux of their own, for
// a server without the engine's gateway. Each reads the body (at most
// MaxBody), finds the tenant's settings (404 when there are none, saying
// no more), and verifies the signature before it parses anything.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range a.Routes() {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "not-found", "Not found", "", "no route "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// inbound is one verified request from Slack.
type inbound struct {
	settings
	body []byte
	// retry is the X-Slack-Retry-Num of a request Slack sends again.
	retry int
}

// signed reads and verifies a request, then hands it to serve with a
// deadline that answers in Slack's time.
func (a *App) signed(serve func(ctx context.Context, w http.ResponseWriter, in inbound)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(w, http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body", "the body is larger than 64 KiB")
			return
		}
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "body", "could not read the body")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
		defer cancel()
		st, err := a.settings.open(ctx, tenant)
		if errors.Is(err, ErrNotConfigured) {
			// Which tenants exist, and which use Slack, is nobody's
			// business without a signature.
			writeProblem(w, http.StatusNotFound, "not-found", "Not found", "", "no route "+r.Method+" "+r.URL.Path)
			return
		}
		if err != nil {
			a.log.Error("slack settings unreadable", "tenant", tenant, "err", err)
			writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "try again shortly")
			return
		}
		if err := Verify(r.Header, body, st.signingSecret, a.now()); err != nil {
			a.log.Warn("slack request refused", "tenant", tenant, "reason", err.Error())
			writeProblem(w, http.StatusUnauthorized, "unauthenticated", "Unauthenticated", HeaderSignature, err.Error())
			return
		}
		retry, _ := strconv.Atoi(r.Header.Get(HeaderRetryNum))
		serve(ctx, w, inbound{settings: st, body: body, retry: retry})
	}
}

// fromWorkspace reports whether a request names the tenant's workspace,
// when the tenant named one; it writes the refusal when not.
func (in inbound) fromWorkspace(w http.ResponseWriter, team string) bool {
	if in.teamID == "" || in.teamID == team {
		return true
	}
	writeProblem(w, http.StatusForbidden, "forbidden", "Forbidden", "team_id", "the request comes from another Slack workspace than this tenant's")
	return false
}

func writeProblem(w http.ResponseWriter, status int, kind, title, field, detail string) {
	b, _ := json.Marshal(apiv1.Problem{Type: apiv1.ProblemBase + kind, Title: title, Status: status, Field: field, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeJSON answers v as JSON, with Slack's mentions (<@U…>) as they are
// rather than escaped as for HTML.
func writeJSON(w http.ResponseWriter, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}
