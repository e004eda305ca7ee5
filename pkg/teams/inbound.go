package teams

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/plaudit/plaudit/pkg/chat"
)

// MessagesRoute is the pattern of the outgoing-webhook endpoint, for an
// http.ServeMux; its {tenant} is the tenant the webhook belongs to.
const MessagesRoute = "POST /v1/integrations/teams/{tenant}/messages"

// MaxBody bounds an activity's body.
const MaxBody = chat.MaxBody

// Answer is a message activity: the reply Teams shows in place of the
// outgoing webhook's answer.
type Answer struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// ServeMessages answers an outgoing webhook's activity (MessagesRoute).
// Nothing of the request is read before its signature is checked against
// the tenant's security token; a tenant with no Teams settings, or no
// such tenant, is a 404 that says nothing more. A verified activity
// whose timestamp is more than MaxSkew away is refused; any other is
// answered, with 200, by a message saying what was given and what is
// left, or why not.
func (t *Teams) ServeMessages(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	body, ok := chat.ReadBody(w, r)
	if !ok {
		return
	}
	// Teams gives up after about five seconds: answer before, saying to
	// try again when the engine is slower.
	ctx, cancel := context.WithTimeout(r.Context(), t.within)
	defer cancel()
	s, err := t.settings(ctx, tenant)
	if errors.Is(err, ErrNotConfigured) {
		chat.NotFound(w, r)
		return
	}
	if err != nil {
		t.log.Error("teams settings unreadable", "tenant", tenant, "err", err)
		chat.Unavailable(w)
		return
	}
	if err := verify(s.key, r.Header.Get("Authorization"), body); err != nil {
		t.log.Warn("teams activity refused: bad signature", "tenant", tenant)
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "Unauthenticated", "Authorization",
			"send the body's HMAC-SHA256 under the tenant's Teams security token as 'Authorization: HMAC <base64>'")
		return
	}
	a, err := ParseActivity(body)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "body", err.Error())
		return
	}
	if err := checkTime(a.Timestamp, t.now()); err != nil {
		t.log.Warn("teams activity refused: stale timestamp", "tenant", tenant, "activity_id", a.ID)
		writeProblem(w, http.StatusUnauthorized, "stale-request", "Stale request", "timestamp",
			"the activity's timestamp is more than 5 minutes from now")
		return
	}
	text, err := t.give(ctx, tenant, a)
	if err != nil {
		t.log.Error("teams give failed", "tenant", tenant, "activity_id", a.ID, "err", err)
		writeProblem(w, http.StatusInternalServerError, "internal", "Internal error", "", "")
		return
	}
	b, _ := json.Marshal(Answer{Type: "message", Text: text})
	writeJSON(w, http.StatusOK, "application/json", b)
}

func writeProblem(w http.ResponseWriter, status int, kind, title, field, detail string) {
	chat.WriteProblem(w, status, kind, title, field, detail)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
