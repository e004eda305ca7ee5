package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
)

// view is what the layout is given: who is looking, the page's own data,
// and the CSRF token every form carries.
type view struct {
	V     *viewer
	Page  string
	Title string
	Data  any
	CSRF  string
	// Admin, Team: which parts of the navigation the viewer may open.
	Admin bool
	Team  bool
}

// render writes page within the layout. The page is rendered whole before
// anything is sent, so a template failure is a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *viewer, data any) {
	t, ok := s.pages[page]
	if !ok {
		http.Error(w, "no page "+page, http.StatusInternalServerError)
		return
	}
	vw := view{V: v, Page: page, Title: titles[page], Data: data}
	if v != nil {
		vw.CSRF = v.csrf
		vw.Admin = v.Role == auth.Admin
		vw.Team = v.Manages
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", vw); err != nil {
		s.log.Error("render", "page", page, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// titles are the pages' titles, shown in the tab and as their heading.
var titles = map[string]string{
	"feed": "Recognition feed", "give": "Give kudos", "me": "My recognition", "live": "Live",
	"team": "Team view", "teams": "Your teams", "admin": "Admin", "signin": "Sign in",
	"signinrefused": "Sign-in link not valid", "signedout": "Sign in", "error": "Something went wrong",
}

// fail shows a message in place of the page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string) {
	s.render(w, r, status, "error", v, map[string]any{"Message": msg})
}

// failProblem shows an API refusal in place of the page.
func (s *Server) failProblem(w http.ResponseWriter, r *http.Request, v *viewer, p *apiv1.Problem) {
	if p.Status >= 500 {
		s.log.Error("api", "status", p.Status, "detail", p.Detail)
	}
	s.fail(w, r, v, p.Status, p.Detail)
}

// name is how a member is shown: their name, else their id.
func (s *Server) name(tenant, id string) string {
	if m, ok := s.cfg.Directory.Member(tenant, id); ok && m.Name != "" {
		return m.Name
	}
	return id
}

var funcs = template.FuncMap{
	"ago": func(t time.Time) string {
		d := time.Since(t)
		switch {
		case d < time.Minute:
			return "just now"
		case d < time.Hour:
			return plural(int(d/time.Minute), "minute") + " ago"
		case d < 24*time.Hour:
			return plural(int(d/time.Hour), "hour") + " ago"
		case d < 14*24*time.Hour:
			return plural(int(d/(24*time.Hour)), "day") + " ago"
		}
		return t.Format("2 Jan 2006")
	},
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when":     func(t time.Time) string { return t.Format("Mon 2 Jan, 15:04 MST") },
	"join":     strings.Join,
	"pct":      func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
	"num":      func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"plural":   plural,
	"has":      slices.Contains[[]string],
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
