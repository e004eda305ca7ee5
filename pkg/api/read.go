package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// SetQueries tells the gateway how to ask each projection, by the query
// names of apiv1.Queries: in process, a plain call; across processes,
// projector.RemoteQuery.
func (g *Gateway) SetQueries(q map[string]projector.QueryFunc) { g.queries = q }

func (g *Gateway) ask(ctx context.Context, name string, req any) ([]byte, error) {
	fn, ok := g.queries[name]
	if !ok {
		return nil, problem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", "", "no "+name+" projection in this deployment")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	out, err := fn(ctx, body)
	var qe *projector.QueryError
	if errors.As(err, &qe) {
		switch qe.Status {
		case http.StatusServiceUnavailable:
			return nil, problem(qe.Status, "not-caught-up", "Not caught up", qe.Field, qe.Detail)
		case http.StatusNotFound:
			return nil, notFound(qe.Field, qe.Detail)
		case http.StatusBadRequest:
			return nil, badRequest(qe.Field, qe.Detail)
		}
	}
	return out, err
}

// reader authenticates a read: every role but publisher reads.
func (g *Gateway) reader(w http.ResponseWriter, r *http.Request) (auth.Principal, uint64, bool) {
	p, err := g.authenticate(r.Context(), bearer(r))
	if err != nil {
		writeProblem(w, toProblem(err))
		return p, 0, false
	}
	if p.Role == auth.Publisher {
		writeProblem(w, forbidden("Authorization", "a publisher key may only record ratings"))
		return p, 0, false
	}
	var minSeq uint64
	if s := r.URL.Query().Get("min_seq"); s != "" {
		if minSeq, err = strconv.ParseUint(s, 10, 64); err != nil {
			writeProblem(w, badRequest("min_seq", "min_seq must be a stream sequence number"))
			return p, 0, false
		}
	}
	return p, minSeq, true
}

func (g *Gateway) answer(ctx context.Context, w http.ResponseWriter, out []byte, err error) {
	if err != nil {
		p := toProblem(err)
		if p.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		if p.Status >= 500 && p.Type == apiv1.ProblemBase+"internal" {
			g.log.ErrorContext(ctx, "query failed", "err", err)
		}
		writeProblem(w, p)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// serveFeed answers GET /v1/feed. A member or manager reads the tenant
// feed, their own team's and their own; private kudos show only to the
// people in them, whoever reads.
func (g *Gateway) serveFeed(w http.ResponseWriter, r *http.Request) {
	p, minSeq, ok := g.reader(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	req := apiv1.FeedRequest{FeedQuery: apiv1.FeedQuery{
		Tenant: p.Tenant, Scope: q.Get("scope"), Direction: q.Get("direction"), Value: q.Get("value"),
		Cursor: q.Get("cursor"), Viewer: p.Member,
	}, MinSeq: minSeq}
	if req.Scope == "" {
		req.Scope = "tenant"
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 { // the query takes 0 for "the default"
			writeProblem(w, badRequest("limit", "limit must be a number from 1 to 100"))
			return
		}
		req.Limit = n
	}
	if p.Role.Personal() {
		if err := g.mayReadScope(p, req.Scope); err != nil {
			writeProblem(w, toProblem(err))
			return
		}
	}
	out, err := g.ask(r.Context(), apiv1.QueryFeedPage, req)
	g.answer(r.Context(), w, out, err)
}

func (g *Gateway) mayReadScope(p auth.Principal, scope string) error {
	me, _ := g.cmd.Directory().Member(p.Tenant, p.Member)
	switch {
	case scope == "tenant":
		return nil
	case scope == "team:"+me.Team:
		return nil
	case scope == "member:"+p.Member:
		return nil
	}
	return forbidden("scope", "a "+string(p.Role)+" key reads the tenant feed, its own team's and its own")
}

// memberPath is the member id in the path, or a 404 written.
func memberPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !event.ValidID(id) {
		writeProblem(w, notFound("id", "no member "+id))
		return "", false
	}
	return id, true
}
