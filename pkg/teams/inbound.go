package teams

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// MessagesRoute is the pattern of the outgoing-webhook endpoint, for an
// http.ServeMux; its {tenant} is the tenant the webhook belongs to.
const MessagesRoute = "POST /v1/integrations/teams/{tenant}/messages"

// MaxBody bounds an activity's body.
const MaxBody = 64 << 10

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
	s, err := t.settings(r.Context(), tenant)
	if errors.Is(err, ErrNotConfigured) {
		writeProblem(w, http.StatusNotFound, "not-found", "Not found", "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	if err != nil {
		t.log.Error("teams settings unreadable", "tenant", tenant, "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "try again shortly")
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
	text, err := t.give(r.Context(), tenant, a)
	if err != nil {
		t.log.Error("teams give failed", "tenant", tenant, "activity_id", a.ID, "err", err)
		writeProblem(w, http.StatusInternalServerError, "internal", "Internal error", "", "")
		return
	}
	b, _ := json.Marshal(Answer{Type: "message", Text: text})
	writeJSON(w, http.StatusOK, "application/json", b)
}

func writeProblem(w http.ResponseWriter, status int, kind, title, field, detail string) {
	b, _ := json.Marshal(apiv1.Problem{Type: apiv1.ProblemBase + kind, Title: title, Status: status, Field: field, Detail: detail})
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, "application/problem+json", b)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
