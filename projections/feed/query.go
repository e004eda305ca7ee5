package feed

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// Limits of a page.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ErrBadQuery names what is wrong with a query, as "field: reason".
type ErrBadQuery struct{ Field, Reason string }

func (e *ErrBadQuery) Error() string { return e.Field + ": " + e.Reason }

// indexScope validates q, sets its default limit, and returns the index
// scope it reads.
func indexScope(q *apiv1.FeedQuery) (string, error) {
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return "", &ErrBadQuery{"limit", "must be between 1 and 100"}
	}
	var scope string
	kind, id, _ := strings.Cut(q.Scope, ":")
	if q.Scope == "" {
		kind = "tenant"
	}
	switch {
	case q.Scope == "tenant" || q.Scope == "":
		scope = "tenant"
	case kind == "team" && event.ValidID(id):
		scope = "team:" + id
	case kind == "member" && event.ValidID(id):
		switch q.Direction {
		case "", "received":
			scope = "received:" + id
		case "given":
			scope = "given:" + id
		default:
			return "", &ErrBadQuery{"direction", "must be received or given"}
		}
	default:
		return "", &ErrBadQuery{"scope", "must be tenant, team:<id> or member:<id>"}
	}
	if q.Value != "" {
		if !event.ValidID(q.Value) {
			return "", &ErrBadQuery{"value", "is not a valid value name"}
		}
		if kind == "tenant" { // indexed per value (scopes)
			scope += "|" + q.Value
		}
	}
	return scope, nil
}

// Read answers a feed query from the store.
func Read(rd *projector.Reader, q apiv1.FeedQuery) (apiv1.FeedPage, error) {
	scope, err := indexScope(&q)
	if err != nil {
		return apiv1.FeedPage{}, err
	}
	prefix := key(q.Tenant, scope, "")
	var before []byte
	if q.Cursor != "" {
		c, err := hex.DecodeString(q.Cursor)
		if err != nil || len(c) != 8 || binary.BigEndian.Uint64(c) == 0 {
			return apiv1.FeedPage{}, &ErrBadQuery{"cursor", "is not a cursor of this feed"}
		}
		before = append(slices.Clip(prefix), c...)
	}
	page := apiv1.FeedPage{Items: make([]apiv1.FeedItem, 0, q.Limit)}
	// Entries come newest first; items private to others or without the
	// value asked for are passed over.
	rd.Descend(bIndex, prefix, before, func(k, id []byte) bool {
		if len(k) != len(prefix)+8 {
			err = fmt.Errorf("feed: index entry %q of %s: corrupt", k, scope)
			return false
		}
		it, ok, e := getItem(rd, q.Tenant, string(id))
		if e != nil {
			err = e
			return false
		}
		if !ok || !visible(it, q.Viewer) || (q.Value != "" && !slices.Contains(it.Values, q.Value)) {
			return true
		}
		if len(page.Items) == q.Limit {
			page.NextCursor = hex.EncodeToString(binary.BigEndian.AppendUint64(nil, page.Items[len(page.Items)-1].Seq))
			return false
		}
		page.Items = append(page.Items, it)
		return true
	})
	if err != nil {
		return apiv1.FeedPage{}, err
	}
	return page, rd.Err()
}

// visible is the rule the live stream also applies (package visibility).
func visible(it apiv1.FeedItem, viewer string) bool {
	return visibility.SeesKudos(viewer, visibility.Kudos{Giver: it.Giver, Recipients: it.Recipients, Private: it.Visibility == event.Private})
}

// Module is the feed projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{projector.NewMeta(Name, Layout, filters...)}, Queries: queries}
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
