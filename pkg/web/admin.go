package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// adminData is the admin's page: one page of the directory with the CSV
// import, the policy form, and the tenant's API keys and sessions. Errors
// holds the refusals of a post by the id of the form field they are
// about, or by the section ("policy", "keys") when they name none of its
// fields.
type adminData struct {
	Members     []apiv1.DirectoryMember // this page's
	Teams       []string                // every team of the directory, for the filter
	Team        string                  // the filter; "": all
	Total       int                     // members in the filter
	Page, Pages int
	Prev, Next  string // the neighbouring pages' URLs; "" at either end
	MaxRows     int    // members per import

	Policy  *policyForm // nil: the policy in force
	Periods []string

	Keys    []keyView
	Roles   []string
	KeyForm keyForm
	// Created is the key just made, its secret shown on this answer only.
	Created *apiv1.CreatedKey

	Notice string
	Errors map[string]string
}

// membersPerPage is how many members the page lists at a time: the
// directory may hold a hundred thousand.
const membersPerPage = 50

// admin shows the page, with a notice of what the post before it did.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.renderAdmin(w, r, v, http.StatusOK, adminData{Notice: adminNotice(r.URL.Query())})
}

// adminNotice says what the post that redirected here did. It takes
// nothing from the URL but a count, so a crafted link cannot make the page
// say something else.
func adminNotice(q url.Values) string {
	if n, err := strconv.Atoi(q.Get("imported")); err == nil && n > 0 {
		return plural(n, "member") + " imported."
	}
	switch q.Get("done") {
	case "policy":
		return "The policy is saved."
	case "revoked":
		return "The key is revoked: it is refused from now on, and a session's browser is signed out."
	}
	return ""
}

// renderAdmin fills in what d leaves empty from the API and renders the
// page. The page's ?team=, ?page= and ?min_seq= choose what it lists; a
// post's answer shows the first page.
func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, v *viewer, status int, d adminData) {
	// The keys first: only an admin may list them, so any other viewer
	// stops here with the API's own refusal. The directory and the policy
	// that follow are readable by every member and would not stop them.
	var keys apiv1.KeyList
	if p := s.call(r, v, http.MethodGet, "/v1/keys", nil, &keys); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	q := r.URL.Query()
	path := "/v1/members"
	if m := q.Get("min_seq"); m != "" {
		path += "?min_seq=" + url.QueryEscape(m)
	}
	var dir apiv1.Directory
	if p := s.call(r, v, http.MethodGet, path, nil, &dir); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	d.listMembers(dir.Members, q.Get("team"), q.Get("page"))
	if d.Policy == nil {
		var pol apiv1.Policy
		if p := s.call(r, v, http.MethodGet, "/v1/policy", nil, &pol); p != nil {
			s.failProblem(w, r, v, p)
			return
		}
		d.Policy = policyFormOf(pol)
	}
	d.Periods = periods
	d.Roles = roles
	d.MaxRows = maxImportRows
	for _, k := range keys.Keys {
		d.Keys = append(d.Keys, keyView{APIKey: k, Mine: k.KeyID == v.KeyID})
	}
	s.render(w, r, status, "admin", v, d)
}

// listMembers keeps page (from 1; out of range: the nearest) of the
// members of team ("": all), and the links to its neighbours. The
// directory comes whole from the API, in id order; only the page is
// rendered.
func (d *adminData) listMembers(all []apiv1.DirectoryMember, team, page string) {
	teams := map[string]bool{}
	in := all
	if team != "" {
		in = nil
	}
	for _, m := range all {
		teams[m.Team] = true
		if team != "" && m.Team == team {
			in = append(in, m)
		}
	}
	d.Teams = slices.Sorted(maps.Keys(teams))
	d.Team, d.Total = team, len(in)
	d.Pages = max(1, (len(in)+membersPerPage-1)/membersPerPage)
	n, err := strconv.Atoi(page)
	if err != nil {
		n = 1
	}
	d.Page = min(max(n, 1), d.Pages)
	lo := (d.Page - 1) * membersPerPage
	d.Members = in[lo:min(lo+membersPerPage, len(in))]
	link := func(n int) string {
		q := url.Values{"page": {strconv.Itoa(n)}}
		if team != "" {
			q.Set("team", team)
		}
		return "/admin?" + q.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
}

// formsProblem reports whether an API refusal of a form's post is the
// form's to show, next to what was typed: not when the API failed, and
// not when the viewer may not do this at all (the page is then replaced
// by the refusal, as a viewer who is not an admin sees on every part of
// this page).
func formsProblem(p *apiv1.Problem) bool {
	return p.Status < 500 && p.Status != http.StatusUnauthorized && p.Status != http.StatusForbidden
}

// refuseForm answers the post of one of the page's forms that the API
// refused: with the refusal in place of the page when it is not the
// form's to show (formsProblem), else with the page again, d keeping what
// was typed, and the refusal at the form field that fields maps the
// problem's field to (a list index dropped: "values[2]" is "values"), or
// else at section.
func (s *Server) refuseForm(w http.ResponseWriter, r *http.Request, v *viewer, p *apiv1.Problem, d adminData, section string, fields map[string]string) {
	if !formsProblem(p) {
		s.failProblem(w, r, v, p)
		return
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if f, ok := fields[index.ReplaceAllString(p.Field, "")]; ok {
		d.Errors[f] = reasonOf(p)
	} else {
		d.Errors[section] = reasonOf(p)
	}
	s.renderAdmin(w, r, v, p.Status, d)
}

// reasonOf is a problem's detail without the field it starts with: shown
// next to its field, or in the file's terms, the API's name for the field
// would only be in the way.
func reasonOf(p *apiv1.Problem) string {
	if p.Field == "" {
		return p.Detail
	}
	return strings.TrimPrefix(p.Detail, p.Field+": ")
}
