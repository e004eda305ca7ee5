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
	cache := projector.NewReadCache[*Item](itemCacheSize)
	return projector.Module{Projection: Projection{cache: cache}, Queries: func(r *projector.Runner, _ func() time.Time) map[string]projector.QueryFunc {
		return queries(r, cache)
	}}
}

func queries(r *projector.Runner, cache *itemCache) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		// The answer is a Page, not an apiv1.FeedPage: it writes the JSON of
		// its items once, for the cache. TestPageIsFeedPage keeps the two alike.
		apiv1.QueryFeedPage: projector.Query(r, "a feed query", func(rd *projector.Reader, req apiv1.FeedRequest) (Page, error) {
			page, err := read(rd, req.FeedQuery, cache)
			var bad *ErrBadQuery
			if errors.As(err, &bad) {
				return Page{}, &projector.QueryError{Status: http.StatusBadRequest, Field: bad.Field, Detail: bad.Error()}
			}
			return page, err
		}),
	}
}
