package allowance

import (
	"errors"
	"net/http"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Module is the allowance projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{}, Queries: queries}
}

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		apiv1.QueryBalance: projector.Query(r, "a balance query", func(rd *projector.Reader, req apiv1.BalanceRequest) (apiv1.Balance, error) {
			bal, err := Read(rd, req.Tenant, req.Member, now())
			if errors.Is(err, ErrNotFound) {
				return apiv1.Balance{}, &projector.QueryError{Status: http.StatusNotFound, Field: "id", Detail: "no member " + req.Member}
			}
			return bal, err
		}),
	}
}
