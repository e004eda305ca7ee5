package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// call makes one API request in process, as the viewer, and decodes the
// answer into out (nil: ignored). A refusal comes back as the API's
// problem; a failure to reach the answer at all as a problem of status 502.
// The request keeps the browser's address, so the API's per-client limits
// hold for the page as for any client.
func (s *Server) call(r *http.Request, v *viewer, method, path string, body, out any) *apiv1.Problem {
	// A server's request always has a body (net/http's contract, which the
	// API's handlers rely on): none is an empty one.
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &apiv1.Problem{Status: http.StatusInternalServerError, Title: "Internal error", Detail: err.Error()}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return &apiv1.Problem{Status: http.StatusInternalServerError, Title: "Internal error", Detail: err.Error()}
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+v.key)
	req.Header.Set("User-Agent", "plaudit-web")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.cfg.API.ServeHTTP(rec, req)
	if rec.status >= 400 {
		var p apiv1.Problem
		if err := json.Unmarshal(rec.body.Bytes(), &p); err != nil || p.Status == 0 {
			p = apiv1.Problem{Status: rec.status, Title: http.StatusText(rec.status), Detail: strings.TrimSpace(rec.body.String())}
		}
		return &p
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return &apiv1.Problem{Status: http.StatusBadGateway, Title: "Bad answer", Detail: fmt.Sprintf("%s %s: %v", method, path, err)}
		}
	}
	return nil
}

// recorder keeps an in-process answer.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
