package allowance

import (
	"context"
	"encoding/json"
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

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		QueryBalance: func(ctx context.Context, raw []byte) ([]byte, error) {
			var req BalanceRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, projector.BadQuery("body", "is not a balance query")
			}
			if err := projector.ReadYourWrites(ctx, r, req.MinSeq); err != nil {
				return nil, err
			}
			var bal Balance
			err := r.View(func(rd *projector.Reader) (err error) {
				bal, err = Read(rd, req.Tenant, req.Member, now())
				return err
			})
			if errors.Is(err, ErrNotFound) {
				return nil, &projector.QueryError{Status: http.StatusNotFound, Field: "id", Detail: "no member " + req.Member}
			}
			if err != nil {
				return nil, err
			}
			return json.Marshal(bal)
		},
	}
}
