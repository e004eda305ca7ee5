package feed

import (
	"errors"
	"net/http"
	"time"

	"github.com/plaudit/plaudit/pkg/projector"
)

// QueryPage is the name of the feed page query.
const QueryPage = "feed.page"

// PageRequest is the request of QueryPage: the query and the stream
// sequence the reader must see (read your writes).
type PageRequest struct {
	Query
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// Module is the feed projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{}, Queries: queries}
}

// ReadAfter implements projector.Request.
func (r PageRequest) ReadAfter() uint64 { return r.MinSeq }

func queries(r *projector.Runner, _ func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		QueryPage: projector.Query(r, "a feed query", func(rd *projector.Reader, req PageRequest) (Page, error) {
			page, err := Read(rd, req.Query)
			var bad *ErrBadQuery
			if errors.As(err, &bad) {
				return Page{}, &projector.QueryError{Status: http.StatusBadRequest, Field: bad.Field, Detail: bad.Error()}
			}
			return page, err
		}),
	}
}
