package web

import "net/http"

// teams lists the teams the viewer manages, each linking to its view.
func (s *Server) teams(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The team view is not built yet.")
}

// team is the manager's view of one team.
func (s *Server) team(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.fail(w, r, v, http.StatusNotImplemented, "The team view is not built yet.")
}
