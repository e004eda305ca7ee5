package chat

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// MaxBody bounds an inbound request's body.
const MaxBody = 64 << 10

// ReadBody reads r's body, at most MaxBody; when it cannot, it writes
// the problem (413, or 400) and returns false.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		WriteProblem(w, http.StatusRequestEntityTooLarge, "body-too-large", "Body too large", "body", "the body is larger than 64 KiB")
		return nil, false
	case err != nil:
		WriteProblem(w, http.StatusBadRequest, "malformed-request", "Malformed request", "body", "could not read the body")
		return nil, false
	}
	return body, true
}

// NotFound answers a request for a tenant without the integration as
// for an unknown route: which tenants exist, and which use it, is
// nobody's business without a signature.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, http.StatusNotFound, "not-found", "Not found", "", "no route "+r.Method+" "+r.URL.Path)
}

// Unavailable answers 503 with Retry-After: 1.
func Unavailable(w http.ResponseWriter) {
	WriteProblem(w, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "try again shortly")
}

// WriteProblem answers an RFC 9457 problem, as the API does; a 503 says
// to try again after a second.
func WriteProblem(w http.ResponseWriter, status int, kind, title, field, detail string) {
	b, _ := json.Marshal(apiv1.Problem{Type: apiv1.ProblemBase + kind, Title: title, Status: status, Field: field, Detail: detail})
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
