package feed

import (
	"errors"
	"net/http"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Module is the feed projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{}, Queries: queries}
}

func queries(r *projector.Runner, _ func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		apiv1.QueryFeedPage: projector.Query(r, "a feed query", func(rd *projector.Reader, req apiv1.FeedRequest) (apiv1.FeedPage, error) {
			page, err := Read(rd, req.FeedQuery)
			var bad *ErrBadQuery
			if errors.As(err, &bad) {
				return apiv1.FeedPage{}, &projector.QueryError{Status: http.StatusBadRequest, Field: bad.Field, Detail: bad.Error()}
			}
			return page, err
		}),
	}
}
