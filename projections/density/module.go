package density

import (
	"errors"
	"net/http"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Module is the density projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: newProjection(), Queries: queries}
}

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	withSpan := func(read func(q reader, req apiv1.DensityRequest, span Span) (any, error)) func(*projector.Reader, apiv1.DensityRequest) (any, error) {
		return func(rd *projector.Reader, req apiv1.DensityRequest) (any, error) {
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
		apiv1.QueryDensityTeam: projector.Query(r, "a team density query", withSpan(func(q reader, req apiv1.DensityRequest, span Span) (any, error) {
			return q.team(req.Team, span)
		})),
		apiv1.QueryDensityTenant: projector.Query(r, "a density query", withSpan(func(q reader, _ apiv1.DensityRequest, span Span) (any, error) {
			return q.tenantFigures(span)
		})),
		apiv1.QueryDensityMember: projector.Query(r, "a member density query", withSpan(func(q reader, req apiv1.DensityRequest, span Span) (any, error) {
			return q.memberFigures(req.Member, span)
		})),
		apiv1.QueryDensityGaps: projector.Query(r, "a gaps query", func(rd *projector.Reader, req apiv1.DensityRequest) (any, error) {
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
