package web

import "net/http"

// admin is the admin's page: members (with a CSV import), the policy, and
// API keys and sessions.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The admin page is not built yet.")
}

func (s *Server) importMembers(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The admin page is not built yet.")
}

func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The admin page is not built yet.")
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The admin page is not built yet.")
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The admin page is not built yet.")
}
