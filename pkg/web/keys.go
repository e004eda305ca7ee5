package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
)

// keyView is a key as the page lists it.
type keyView struct {
	apiv1.APIKey
	// Mine: the viewer's own session, which the API will not let revoke
	// itself; signing out ends it.
	Mine bool
}

// keyForm is the create form as posted, kept for a refusal.
type keyForm struct{ Role, Member, Expires string }

// roles are the roles the create form offers, the personal ones first.
var roles = []string{
	string(auth.Member), string(auth.Manager), string(auth.Analyst),
	string(auth.Integration), string(auth.Publisher), string(auth.Admin),
}

// keyFields maps the fields POST /v1/keys names to the form's.
var keyFields = map[string]string{"role": "role", "member": "member", "expires_at": "expires"}

// createKey makes an API key and shows its secret in the answer to the
// post itself (201, not a redirect): the secret is never in a URL or the
// history, and the page that shows it is not stored (no-store). The API
// keeps only its digest, so it is shown this once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := keyForm{Role: r.PostFormValue("role"), Member: strings.TrimSpace(r.PostFormValue("member")), Expires: r.PostFormValue("expires")}
	d := adminData{KeyForm: f, Errors: map[string]string{}}
	req := apiv1.KeyRequest{Role: f.Role, Member: f.Member}
	if f.Expires != "" {
		// A date: the key stops working as that day begins, in UTC, as
		// the form says.
		day, err := time.Parse(time.DateOnly, f.Expires)
		if err != nil {
			d.Errors["expires"] = "must be a date, such as 2027-01-31"
			s.renderAdmin(w, r, v, http.StatusUnprocessableEntity, d)
			return
		}
		req.ExpiresAt = day.Format(time.RFC3339)
	}
	var out apiv1.CreatedKey
	if p := s.call(r, v, http.MethodPost, "/v1/keys", req, &out); p != nil {
		s.refuseForm(w, r, v, p, d, "keys", keyFields)
		return
	}
	s.renderAdmin(w, r, v, http.StatusCreated, adminData{Created: &out})
}

// revokeKey revokes a key or ends a session: its browser is signed out at
// its next request.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	if p := s.call(r, v, http.MethodDelete, "/v1/keys/"+url.PathEscape(r.PathValue("id")), nil, nil); p != nil {
		s.refuseForm(w, r, v, p, adminData{}, "keys", nil)
		return
	}
	http.Redirect(w, r, "/admin?done=revoked", http.StatusSeeOther)
}
