package allowance

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	json "github.com/goccy/go-json"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Module is the allowance projection with its queries, for the engine.
func Module() projector.Module {
	return projector.Module{Projection: Projection{projector.NewMeta(Name, Layout, filters...)}, Queries: queries}
}

func queries(r *projector.Runner, now func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		apiv1.QueryBalance: projector.Query(r, "a balance query", func(rd *projector.Reader, req apiv1.BalanceRequest) (apiv1.Balance, error) {
			bal, err := Read(rd, req.Tenant, req.Member, now())
			if errors.Is(err, ErrNotFound) {
				return apiv1.Balance{}, &projector.QueryError{Status: http.StatusNotFound, Field: "member", Detail: "no member " + req.Member}
			}
			return bal, err
		}),
	}
}

// ErrNotFound is returned by Read when the member is not in the tenant.
var ErrNotFound = errors.New("allowance: no such member")

// Read returns a member's balance at now.
func Read(rd *projector.Reader, tenant, memberID string, now time.Time) (apiv1.Balance, error) {
	policy, err := policyOf(rd, tenant)
	if err != nil {
		return apiv1.Balance{}, err
	}
	m, found, err := memberOf(rd, tenant, memberID)
	if err != nil {
		return apiv1.Balance{}, err
	}
	if !found {
		return apiv1.Balance{}, ErrNotFound
	}
	var boosts []event.AllowanceBoosted
	rd.Ascend(bBoosts, key(tenant, ""), func(_, v []byte) bool {
		var b event.AllowanceBoosted
		if err = json.Unmarshal(v, &b); err != nil {
			return false
		}
		boosts = append(boosts, b)
		return true
	})
	if err != nil {
		return apiv1.Balance{}, fmt.Errorf("allowance: boost: %w", err)
	}
	p := command.PeriodAt(policy.Allowance.Period, now, m.Location())
	// ResetsAt keeps the member's zone, as the write side's refusals do.
	bal := apiv1.Balance{
		Member: memberID, Period: p.Key, Limit: command.Limit(policy, m, boosts, p), ResetsAt: p.End, TimeZone: m.TimeZone,
		Spent:          int(projector.Counter(rd.Get(bSpent, key(tenant, memberID, p.Key)), 0)),
		ReceivedPeriod: readReceived(rd, key(tenant, memberID, p.Key)),
		ReceivedTotal:  readReceived(rd, key(tenant, memberID, "all")),
	}
	bal.Remaining = max(bal.Limit-bal.Spent, 0)
	return bal, nil
}
