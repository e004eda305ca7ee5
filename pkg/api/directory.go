package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
)

// serveMembers answers GET /v1/members: who is in the tenant, for every
// role that reads. Addresses and chat ids are for the keys that keep them
// in step (admin, integration).
func (g *Gateway) serveMembers(w http.ResponseWriter, r *http.Request) {
	p, _, ok := g.reader(w, r)
	if !ok {
		return
	}
	full := p.Role == auth.Admin || p.Role == auth.Integration
	out := apiv1.Directory{Members: []apiv1.DirectoryMember{}}
	for _, m := range g.cmd.Directory().Members(p.Tenant) {
		if m.Left {
			continue
		}
		d := apiv1.DirectoryMember{ID: m.Member, Name: m.Name, Team: m.Team, Manager: m.Manager, TimeZone: m.TimeZone, Active: m.Active}
		if full {
			d.Email, d.SlackUserID, d.TeamsUserID = m.Email, m.SlackUserID, m.TeamsUserID
		}
		out.Members = append(out.Members, d)
	}
	slices.SortFunc(out.Members, func(a, b apiv1.DirectoryMember) int { return strings.Compare(a.ID, b.ID) })
	g.answerJSON(r.Context(), w, out)
}

// servePolicy answers GET /v1/policy: the policy in force, for every role
// that reads (a giver needs the values and the allowance).
func (g *Gateway) servePolicy(w http.ResponseWriter, r *http.Request) {
	p, _, ok := g.reader(w, r)
	if !ok {
		return
	}
	pol := g.cmd.Directory().Policy(p.Tenant)
	rules, err := json.Marshal(pol.Rules)
	if err != nil {
		g.answer(r.Context(), w, nil, err)
		return
	}
	nudges, err := json.Marshal(pol.Nudges)
	if err != nil {
		g.answer(r.Context(), w, nil, err)
		return
	}
	values := pol.Values
	if values == nil {
		values = []string{}
	}
	g.answerJSON(r.Context(), w, apiv1.Policy{
		Allowance:    apiv1.PolicyAllowanceSet{Amount: pol.Allowance.Amount, Period: pol.Allowance.Period},
		Values:       values,
		MessageRules: apiv1.MessageRulesSet{MinLength: pol.MessageRules.MinLength, RejectGeneric: pol.MessageRules.RejectGeneric},
		Rules:        rules,
		Nudges:       nudges,
	})
}

func (g *Gateway) answerJSON(ctx context.Context, w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	g.answer(ctx, w, b, err)
}
