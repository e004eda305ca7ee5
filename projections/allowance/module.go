package allowance

import (
	"errors"
	"net/http"
	"time"

	"github.com/plaudit/plaudit/pkg/projector"
)

// QueryBalance is the name of the balance query.
const QueryBalance = "allowance.balance"

// BalanceRequest asks for a member's balance.
type BalanceRequest struct {
	Tenant string `json:"tenant"`
	Member string `json:"member"`
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// Module is the allowance projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{}, Queries: queries}
}

// ReadAfter implements projector.Request.
func (r BalanceRequest) ReadAfter() uint64 { return r.MinSeq }

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		QueryBalance: projector.Query(r, "a balance query", func(rd *projector.Reader, req BalanceRequest) (Balance, error) {
			bal, err := Read(rd, req.Tenant, req.Member, now())
			if errors.Is(err, ErrNotFound) {
				return Balance{}, &projector.QueryError{Status: http.StatusNotFound, Field: "id", Detail: "no member " + req.Member}
			}
			return bal, err
		}),
	}
}
