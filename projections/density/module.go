package density

import (
	"errors"
	"net/http"
	"time"

	"github.com/plaudit/plaudit/pkg/projector"
)

// Query names.
const (
	QueryTeam   = "density.team"
	QueryTenant = "density.tenant"
	QueryMember = "density.member"
	QueryGaps   = "density.gaps"
)

// Request asks for figures: of Team, of Member, or of the tenant when
// neither is set, over Window (and Week); a gap query sets Days.
type Request struct {
	Tenant string `json:"tenant"`
	Team   string `json:"team,omitempty"`
	Member string `json:"member,omitempty"`
	Window string `json:"window,omitempty"`
	Week   string `json:"week,omitempty"`
	Days   int    `json:"days,omitempty"`
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// ReadAfter implements projector.Request.
func (r Request) ReadAfter() uint64 { return r.MinSeq }

// Module is the density projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{}, Queries: queries}
}

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	withSpan := func(read func(q reader, req Request, span Span) (any, error)) func(*projector.Reader, Request) (any, error) {
		return func(rd *projector.Reader, req Request) (any, error) {
			at := now()
			span, err := NewSpan(req.Window, req.Week, at)
			if err != nil {
				return nil, refusal(err)
			}
			out, err := read(reader{rd, req.Tenant, at}, req, span)
			return out, refusal(err)
		}
	}
	return map[string]projector.QueryFunc{
		QueryTeam: projector.Query(r, "a team density query", withSpan(func(q reader, req Request, span Span) (any, error) {
			return q.team(req.Team, span)
		})),
		QueryTenant: projector.Query(r, "a density query", withSpan(func(q reader, _ Request, span Span) (any, error) {
			return q.tenantFigures(span)
		})),
		QueryMember: projector.Query(r, "a member density query", withSpan(func(q reader, req Request, span Span) (any, error) {
			return q.memberFigures(req.Member, span)
		})),
		QueryGaps: projector.Query(r, "a gaps query", func(rd *projector.Reader, req Request) (any, error) {
			days := req.Days
			if days == 0 {
				days = DefaultGapDays
			}
			at := now()
			out, err := reader{rd, req.Tenant, at}.gaps(req.Team, days, at)
			return out, refusal(err)
		}),
	}
}

// refusal turns the errors a caller can act on into query errors.
func refusal(err error) error {
	var bad *ErrBadQuery
	switch {
	case errors.As(err, &bad):
		return &projector.QueryError{Status: http.StatusBadRequest, Field: bad.Field, Detail: bad.Error()}
	case errors.Is(err, ErrNotFound):
		return &projector.QueryError{Status: http.StatusNotFound, Detail: "no such team or member"}
	}
	return err
}
