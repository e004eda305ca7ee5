package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Projections is what the gateway may ask of the projections running in
// this process: their status, and a rebuild.
type Projections interface {
	Statuses(ctx context.Context) []projector.Status
	// Rebuild starts rebuilding the projection in the background.
	Rebuild(name string) error
}

// ErrNoProjection is returned by Projections.Rebuild when no projection
// of that name runs in this process.
var ErrNoProjection = errors.New("no such projection")

// SetProjections lets admins see and rebuild the projections.
func (g *Gateway) SetProjections(p Projections) { g.projections = p }

func (g *Gateway) admin(w http.ResponseWriter, r *http.Request, roles ...auth.Role) bool {
	p, err := g.authenticate(r.Context(), bearer(r))
	if err != nil {
		writeProblem(w, toProblem(err))
		return false
	}
	// Projections hold every tenant's data: only the operator, the
	// bootstrap tenant's keys, may see or rebuild them.
	if p.Tenant != auth.BootstrapTenant {
		writeProblem(w, forbidden("Authorization", "projections are managed by the operator's tenant ("+auth.BootstrapTenant+")"))
		return false
	}
	for _, role := range roles {
		if p.Role == role {
			return true
		}
	}
	writeProblem(w, forbidden("Authorization", "a "+string(p.Role)+" key may not manage projections"))
	return false
}

// serveProjections answers GET /v1/projections: every projection's
// position, lag and dead letters.
func (g *Gateway) serveProjections(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r, auth.Admin, auth.Analyst) {
		return
	}
	var list apiv1.ProjectionList
	if g.projections != nil {
		list.Projections = g.projections.Statuses(r.Context())
	}
	b, _ := json.Marshal(list)
	writeJSON(w, http.StatusOK, b)
}

// serveRebuild answers POST /v1/projections/{name}/rebuild with 202: the
// rebuild runs in the background while the live model keeps serving.
func (g *Gateway) serveRebuild(w http.ResponseWriter, r *http.Request) {
	if !g.admin(w, r, auth.Admin) {
		return
	}
	name := r.PathValue("name")
	var err error = ErrNoProjection
	if g.projections != nil {
		err = g.projections.Rebuild(name)
	}
	switch {
	case errors.Is(err, ErrNoProjection):
		writeProblem(w, notFound("name", "no projection "+name+" runs here"))
	case errors.Is(err, projector.ErrRebuilding):
		writeProblem(w, problem(http.StatusConflict, "conflict", "Conflict", "name", "projection "+name+" is already rebuilding"))
	case err != nil:
		writeProblem(w, toProblem(err))
	default:
		b, _ := json.Marshal(apiv1.RebuildStarted{Status: "rebuilding", Projection: name})
		writeJSON(w, http.StatusAccepted, b)
	}
}
