package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// reactionChoices are the reactions the feed offers as buttons; the API
// takes any emoji.
var reactionChoices = []string{"👏", "🎉", "❤️", "🙌"}

// feedItem is a kudos as the feed shows it.
type feedItem struct {
	apiv1.FeedItem
	GiverName      string
	RecipientNames []string
	Reactions      []reaction
}

type reaction struct {
	Emoji string
	Count int
}

type feedData struct {
	Scope, Value string
	Values       []string
	Items        []feedItem
	Next         string // the next page's URL; empty on the last
	Back         string // this page's URL, where a reaction returns
	Notice       string
}

// feed shows the tenant's, the viewer's team's or the viewer's own feed,
// optionally of one value, a page at a time.
func (s *Server) feed(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	d := feedData{Scope: q.Get("scope"), Value: q.Get("value")}
	scope := "tenant"
	switch d.Scope {
	case "team":
		scope = "team:" + v.Team
	case "mine":
		scope = "member:" + v.Member
	default:
		d.Scope = "tenant"
	}
	params := url.Values{"scope": {scope}}
	if d.Value != "" {
		params.Set("value", d.Value)
	}
	if c := q.Get("cursor"); c != "" {
		params.Set("cursor", c)
	}
	if m := q.Get("min_seq"); m != "" {
		params.Set("min_seq", m)
	}
	var page apiv1.FeedPage
	if p := s.call(r, v, http.MethodGet, "/v1/feed?"+params.Encode(), nil, &page); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	var pol apiv1.Policy
	if p := s.call(r, v, http.MethodGet, "/v1/policy", nil, &pol); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	d.Values = pol.Values
	for _, it := range page.Items {
		d.Items = append(d.Items, s.feedItem(v.Tenant, it))
	}
	keep := url.Values{"scope": {d.Scope}}
	if d.Value != "" {
		keep.Set("value", d.Value)
	}
	if page.NextCursor != "" {
		next := url.Values{"scope": {d.Scope}, "cursor": {page.NextCursor}}
		if d.Value != "" {
			next.Set("value", d.Value)
		}
		d.Next = "/?" + next.Encode()
	}
	d.Back = "/?" + keep.Encode()
	if q.Has("given") {
		d.Notice = "Your kudos is in the feed."
	}
	s.render(w, r, http.StatusOK, "feed", v, d)
}

func (s *Server) feedItem(tenant string, it apiv1.FeedItem) feedItem {
	fi := feedItem{FeedItem: it, GiverName: s.name(tenant, it.Giver)}
	for _, id := range it.Recipients {
		fi.RecipientNames = append(fi.RecipientNames, s.name(tenant, id))
	}
	for _, e := range reactionChoices {
		fi.Reactions = append(fi.Reactions, reaction{Emoji: e, Count: it.Reactions[e]})
	}
	for e, n := range it.Reactions {
		if !slices.Contains(reactionChoices, e) {
			fi.Reactions = append(fi.Reactions, reaction{Emoji: e, Count: n})
		}
	}
	return fi
}

// react adds the viewer's reaction to a kudos and returns to the page it
// was made on.
func (s *Server) react(w http.ResponseWriter, r *http.Request, v *viewer) {
	id := r.PathValue("id")
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPost, "/v1/kudos/"+url.PathEscape(id)+"/reactions", apiv1.ReactRequest{Emoji: r.PostFormValue("emoji")}, &out); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	back := localPath(r.PostFormValue("back"), "/")
	http.Redirect(w, r, withMinSeq(back, out.Seq), http.StatusSeeOther)
}

// localPath is p when it is a path of this site, else def: a form's
// return address never leads elsewhere.
func localPath(p, def string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return def
	}
	return p
}

// withMinSeq adds min_seq to a local URL, so that the page it shows
// reflects the write just made.
func withMinSeq(p string, seq uint64) string {
	if seq == 0 {
		return p
	}
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	return p + sep + "min_seq=" + strconv.FormatUint(seq, 10)
}
