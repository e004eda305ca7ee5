package feed

import (
	"context"
	"encoding/json"
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

func queries(r *projector.Runner, _ func() time.Time) map[string]projector.QueryFunc {
	cache := newItemCache(itemCacheSize)
	return map[string]projector.QueryFunc{
		QueryPage: func(ctx context.Context, raw []byte) ([]byte, error) {
			var req PageRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, projector.BadQuery("body", "is not a feed query")
			}
			if err := projector.ReadYourWrites(ctx, r, req.MinSeq); err != nil {
				return nil, err
			}
			var page Page
			err := r.View(func(rd *projector.Reader) (err error) {
				page, err = read(rd, req.Query, cache)
				return err
			})
			var bad *ErrBadQuery
			if errors.As(err, &bad) {
				return nil, &projector.QueryError{Status: http.StatusBadRequest, Field: bad.Field, Detail: bad.Error()}
			}
			if err != nil {
				return nil, err
			}
			return json.Marshal(page)
		},
	}
}
