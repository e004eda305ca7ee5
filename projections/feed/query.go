package feed

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// Page is one page of a feed, newest first: the answer of
// apiv1.QueryFeedPage, which it encodes as an apiv1.FeedPage. NextCursor
// is empty on the last page.
type Page struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// AppendJSON implements projector.JSONAppender: it writes the JSON
// encoding/json writes for the page, with the encoding the read side's
// cache keeps of each item rather than encoding it again.
func (p Page) AppendJSON(dst []byte) ([]byte, error) {
	if p.Items == nil {
		dst = append(dst, `{"items":null`...)
		return p.appendCursor(dst)
	}
	n := 32 + len(p.NextCursor)
	for _, it := range p.Items {
		n += 1 + len(it.encoded)
		if it.encoded == nil {
			n += 512 // a guess
		}
	}
	dst = append(slices.Grow(dst, n), `{"items":[`...)
	for i, it := range p.Items {
		if i > 0 {
			dst = append(dst, ',')
		}
		if it.encoded != nil {
			dst = append(dst, it.encoded...)
			continue
		}
		enc, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		dst = append(dst, enc...)
	}
	return p.appendCursor(append(dst, ']'))
}

func (p Page) appendCursor(dst []byte) ([]byte, error) {
	if p.NextCursor != "" {
		cur, err := json.Marshal(p.NextCursor)
		if err != nil {
			return nil, err
		}
		dst = append(append(append(dst, `,"next_cursor":`...), cur...), '}')
		return dst, nil
	}
	return append(dst, '}'), nil
}

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
func Read(rd *projector.Reader, q apiv1.FeedQuery) (Page, error) { return read(rd, q, nil) }

func read(rd *projector.Reader, q apiv1.FeedQuery, cache *itemCache) (Page, error) {
	scope, err := indexScope(&q)
	if err != nil {
		return Page{}, err
	}
	prefix := key(q.Tenant, scope, "")
	var before uint64
	if q.Cursor != "" {
		c, err := hex.DecodeString(q.Cursor)
		if err != nil || len(c) != 8 || binary.BigEndian.Uint64(c) == 0 {
			return Page{}, &ErrBadQuery{"cursor", "is not a cursor of this feed"}
		}
		before = binary.BigEndian.Uint64(c)
	}
	page := Page{Items: make([]Item, 0, max(0, min(q.Limit, MaxLimit)))}
	// Entries come newest first; items retracted, private to others or
	// without the value asked for are passed over.
	tag := valueTag(q.Value)
	rd.DescendEntries(bIndex, prefix, before, func(seq uint64, v []byte) bool {
		ref, tags, all, ok := splitEntry(v)
		if !ok {
			err = fmt.Errorf("feed: index entry at %d of %s: corrupt", seq, scope)
			return false
		}
		if q.Value != "" && !all && !hasTag(tags, tag) {
			return true
		}
		it, ok, e := getItem(rd, q.Tenant, ref, cache)
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
		return Page{}, err
	}
	return page, nil
}

// visible is the rule the live stream also applies (package visibility).
func visible(it Item, viewer string) bool {
	return visibility.SeesKudos(viewer, visibility.Kudos{Giver: it.Giver, Recipients: it.Recipients, Private: it.Visibility == event.Private})
}

// ErrNotFound: no such kudos.
var ErrNotFound = errors.New("feed: not found")
