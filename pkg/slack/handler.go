package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/plaudit/plaudit/pkg/chat"
)

// RoutePrefix is where the inbound routes are, each under its tenant:
// POST /v1/integrations/slack/{tenant}/commands, …/events and
// …/interactivity.
const RoutePrefix = "/v1/integrations/slack/"

// MaxBody bounds an inbound request's body.
const MaxBody = chat.MaxBody

// DefaultAnswerWithin is how long a request may take (Config's
// AnswerWithin): Slack gives up after three seconds, and a slash command
// that is not answered by then shows the person an error.
const DefaultAnswerWithin = 2500 * time.Millisecond

// Handler returns the inbound routes (Routes) on a mux of their own, for
// a server without the engine's gateway. Each reads the body (at most
// MaxBody), finds the tenant's settings (404 when there are none, saying
// no more), and verifies the signature before it parses anything.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range a.Routes() {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("/", chat.NotFound)
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
		body, ok := chat.ReadBody(w, r)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), a.within)
		defer cancel()
		st, err := a.settings.open(ctx, tenant)
		if errors.Is(err, ErrNotConfigured) {
			chat.NotFound(w, r)
			return
		}
		if err != nil {
			a.log.Error("slack settings unreadable", "tenant", tenant, "err", err)
			chat.Unavailable(w)
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

// fromWorkspace reports whether a request names the tenant's workspace;
// it writes the refusal when not. A request that names none, or settings
// that name none (stored before team_id was required), are refused: the
// signing secret is the app's, and an app may be installed in other
// workspaces than the tenant's.
func (in inbound) fromWorkspace(w http.ResponseWriter, team string) bool {
	switch {
	case in.teamID == "":
		writeProblem(w, http.StatusForbidden, "forbidden", "Forbidden", "team_id", "this tenant's Slack settings name no workspace: an admin must set team_id")
		return false
	case team == "":
		writeProblem(w, http.StatusForbidden, "forbidden", "Forbidden", "team_id", "the request names no Slack workspace")
		return false
	case team != in.teamID:
		writeProblem(w, http.StatusForbidden, "forbidden", "Forbidden", "team_id", "the request comes from another Slack workspace than this tenant's")
		return false
	}
	return true
}

func writeProblem(w http.ResponseWriter, status int, kind, title, field, detail string) {
	chat.WriteProblem(w, status, kind, title, field, detail)
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
