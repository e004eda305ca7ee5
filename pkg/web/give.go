package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// giveData is the give form: what was typed, the allowance left, and the
// API's refusal next to the field it names.
type giveData struct {
	To, Message, Points, Visibility string
	Values                          []string // chosen
	AllValues                       []string // the tenant's
	People                          []person // the recipient picker's suggestions
	Balance                         *apiv1.Balance
	BalanceProblem                  string
	Errors                          map[string]string // by form field
	Problem                         string            // a refusal naming no field of the form
}

type person struct{ ID, Name, Team string }

// giveForm shows the form; ?to= fills in the recipients ("recognise now"
// from the team view).
func (s *Server) giveForm(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := giveData{To: r.URL.Query().Get("to"), Points: "1", Visibility: "public"}
	s.renderGive(w, r, v, http.StatusOK, d)
}

func (s *Server) renderGive(w http.ResponseWriter, r *http.Request, v *viewer, status int, d giveData) {
	var pol apiv1.Policy
	if p := s.call(r, v, http.MethodGet, "/v1/policy", nil, &pol); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	d.AllValues = pol.Values
	var b apiv1.Balance
	if p := s.call(r, v, http.MethodGet, "/v1/members/"+url.PathEscape(v.Member)+"/balance", nil, &b); p != nil {
		d.BalanceProblem = p.Detail
	} else {
		d.Balance = &b
	}
	d.People = s.suggestions(v)
	s.render(w, r, status, "give", v, d)
}

// suggestions are the recipient picker's list: the viewer's team. Anyone
// else is typed by id; a tenant of 100,000 members is not sent to every
// give page.
func (s *Server) suggestions(v *viewer) []person {
	var out []person
	for _, m := range s.cfg.Directory.TeamMembers(v.Tenant, v.Team) {
		if m.Member != v.Member {
			out = append(out, person{ID: m.Member, Name: m.Name, Team: m.Team})
		}
	}
	return out
}

// give sends the form to the API as the viewer. A refusal is shown at the
// field it names, with what was typed kept.
func (s *Server) give(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := giveData{
		To: r.PostFormValue("to"), Message: r.PostFormValue("message"), Points: r.PostFormValue("points"),
		Visibility: r.PostFormValue("visibility"), Values: r.PostForm["values"], Errors: map[string]string{},
	}
	req := apiv1.GiveRequest{To: recipients(d.To), Message: d.Message, Values: d.Values, Visibility: d.Visibility}
	if d.Points != "" {
		n, err := strconv.Atoi(strings.TrimSpace(d.Points))
		if err != nil {
			d.Errors["points"] = "Points must be a whole number."
			s.renderGive(w, r, v, http.StatusUnprocessableEntity, d)
			return
		}
		req.Points = &n
	}
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPost, "/v1/kudos", req, &out); p != nil {
		if p.Status >= 500 {
			s.failProblem(w, r, v, p)
			return
		}
		if f := formField(p.Field); f != "" {
			d.Errors[f] = p.Detail
		} else {
			d.Problem = p.Detail
		}
		s.renderGive(w, r, v, p.Status, d)
		return
	}
	http.Redirect(w, r, withMinSeq("/?scope=tenant&given=1", out.Seq), http.StatusSeeOther)
}

// recipients reads the "to" field: member ids separated by commas or
// spaces.
func recipients(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		out = append(out, strings.TrimPrefix(f, "@"))
	}
	return out
}

// index drops a list index from a problem's field: "to[1]" is "to".
var index = regexp.MustCompile(`\[\d+\]$`)

// formField is the give form's field a problem's field names, "" when it
// names none of them.
func formField(f string) string {
	switch f = index.ReplaceAllString(f, ""); f {
	case "to", "message", "points", "values", "visibility":
		return f
	case "from":
		return "to" // the giver among the recipients
	}
	return ""
}
