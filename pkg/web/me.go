package web

import (
	"net/http"
	"net/url"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

// meData is the viewer's own page.
type meData struct {
	Received []feedItem
	More     string
	Balance  *apiv1.Balance
	Nudges   []nudgeView
	// NudgesUnavailable says why the nudges cannot be listed now.
	NudgesUnavailable string
	Prefs             apiv1.Preferences
	Kinds             []kindView
	Notice            string
	Problem           string
	Field             string // the preferences field a refusal names
}

type nudgeView struct {
	apiv1.Nudge
	AboutName string
	Open      bool // delivered and not settled: it can be acknowledged or dismissed
}

type kindView struct {
	Kind, Label, Offer, Choice string
	Receives                   bool
}

var kindLabels = map[string]string{
	event.NudgeWellness: "Wellness (after a long or difficult call)",
	event.NudgeGap:      "Someone on my team has not been recognised lately",
	event.NudgeGiving:   "A reminder to recognise others",
}

// me shows what the viewer received, their allowance, their nudges and
// their nudge preferences.
func (s *Server) me(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.renderMe(w, r, v, http.StatusOK, meData{Notice: noticeOf(r)})
}

func noticeOf(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "preferences":
		return "Your preferences are saved."
	case "ack":
		return "Nudge acknowledged."
	case "dismiss":
		return "Nudge dismissed."
	}
	return ""
}

func (s *Server) renderMe(w http.ResponseWriter, r *http.Request, v *viewer, status int, d meData) {
	me := url.PathEscape(v.Member)
	after := "" // the write the page must reflect
	if m := r.URL.Query().Get("min_seq"); m != "" {
		after = "&min_seq=" + url.QueryEscape(m)
	}
	var page apiv1.FeedPage
	if p := s.call(r, v, http.MethodGet, "/v1/feed?limit=10&scope=member:"+me+after, nil, &page); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	for _, it := range page.Items {
		d.Received = append(d.Received, s.feedItem(v.Tenant, it))
	}
	if page.NextCursor != "" {
		d.More = "/?scope=mine"
	}
	var b apiv1.Balance
	if p := s.call(r, v, http.MethodGet, "/v1/members/"+me+"/balance", nil, &b); p == nil {
		d.Balance = &b
	}
	var ns apiv1.Nudges
	switch p := s.call(r, v, http.MethodGet, "/v1/members/"+me+"/nudges?"+strings.TrimPrefix(after, "&"), nil, &ns); {
	case p == nil:
	case p.Status == http.StatusServiceUnavailable:
		// A deployment without the rules projection has no nudges to
		// list; the rest of the page stands.
		d.NudgesUnavailable = p.Detail
	default:
		s.failProblem(w, r, v, p)
		return
	}
	for _, n := range ns.Nudges {
		nv := nudgeView{Nudge: n, Open: n.State == "delivered"}
		if n.About != "" {
			nv.AboutName = s.name(v.Tenant, n.About)
		}
		d.Nudges = append(d.Nudges, nv)
	}
	if p := s.call(r, v, http.MethodGet, "/v1/members/"+me+"/preferences", nil, &d.Prefs); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	for _, k := range event.NudgeKinds {
		kp := d.Prefs.Nudges[k]
		d.Kinds = append(d.Kinds, kindView{Kind: k, Label: kindLabels[k], Offer: kp.Offer, Choice: kp.Choice, Receives: kp.Receives})
	}
	s.render(w, r, status, "me", v, d)
}

// setPreferences saves the nudge preferences form.
func (s *Server) setPreferences(w http.ResponseWriter, r *http.Request, v *viewer) {
	req := apiv1.PreferencesRequest{Nudges: event.NudgeChoices{
		Wellness: r.PostFormValue(event.NudgeWellness), Gap: r.PostFormValue(event.NudgeGap), Giving: r.PostFormValue(event.NudgeGiving),
	}}
	if r.PostFormValue("quiet") == "own" {
		req.QuietHours = &event.QuietHours{Start: r.PostFormValue("quiet_start"), End: r.PostFormValue("quiet_end")}
	}
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPut, "/v1/members/"+url.PathEscape(v.Member)+"/preferences", req, &out); p != nil {
		if p.Status >= 500 {
			s.failProblem(w, r, v, p)
			return
		}
		s.renderMe(w, r, v, p.Status, meData{Problem: p.Detail, Field: p.Field})
		return
	}
	http.Redirect(w, r, withMinSeq("/me?done=preferences", out.Seq), http.StatusSeeOther)
}

// settleNudge acknowledges or dismisses one of the viewer's nudges.
func (s *Server) settleNudge(w http.ResponseWriter, r *http.Request, v *viewer) {
	action := r.PathValue("action")
	if action != "ack" && action != "dismiss" {
		s.fail(w, r, v, http.StatusNotFound, "A nudge is acknowledged or dismissed, nothing else.")
		return
	}
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPost, "/v1/nudges/"+url.PathEscape(r.PathValue("id"))+"/"+action, nil, &out); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	http.Redirect(w, r, withMinSeq("/me?done="+action, out.Seq), http.StatusSeeOther)
}
