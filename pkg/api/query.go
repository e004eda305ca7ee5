package api

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
)

// serveQuery answers q at its route (apiv1.Query): the request is built
// from the path and the URL's parameters, the caller checked against
// q.Access, and the projection asked.
func (g *Gateway) serveQuery(q apiv1.Query) http.HandlerFunc {
	fields := apiv1.Fields(reflect.TypeOf(q.Request))
	return func(w http.ResponseWriter, r *http.Request) {
		p, minSeq, ok := g.reader(w, r)
		if !ok {
			return
		}
		req := map[string]any{"tenant": p.Tenant}
		if minSeq > 0 {
			req["min_seq"] = minSeq
		}
		for name := range fields {
			if v := r.PathValue(name); v != "" {
				if !event.ValidID(v) {
					writeProblem(w, notFound(name, "no "+name+" "+v))
					return
				}
				req[name] = v
			}
		}
		for name, vs := range r.URL.Query() {
			kind, ok := fields[name]
			if !ok || name == "tenant" || name == "min_seq" || req[name] != nil {
				continue // not the query's; as any other endpoint, ignored
			}
			v, reason := param(kind.Kind(), vs[0])
			if reason != "" {
				writeProblem(w, badRequest(name, name+" must be "+reason))
				return
			}
			req[name] = v
		}
		member, _ := req["member"].(string)
		team, _ := req["team"].(string)
		if !g.allowed(p, q.Access, member, team) {
			writeProblem(w, forbidden(who(member, team), strings.TrimPrefix(q.Route, "GET ")+" is for "+describeAccess(q.Access)))
			return
		}
		// Only once the caller may read it: whether a member exists is not
		// for a caller who may not read them to learn.
		if member != "" && !g.knownMember(p.Tenant, member) {
			writeProblem(w, notFound("member", "no member "+member))
			return
		}
		out, err := g.ask(r.Context(), q.Name, req)
		g.answer(r.Context(), w, out, err)
	}
}

// param reads a URL parameter as a field of kind k; reason says what it
// must be when it is not.
func param(k reflect.Kind, s string) (v any, reason string) {
	switch k {
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, "a whole number"
		}
		return n, ""
	case reflect.String:
		return s, ""
	}
	return nil, "given in the body" // no query takes one yet
}

func (g *Gateway) knownMember(tenant, id string) bool {
	_, ok := g.cmd.Directory().Member(tenant, id)
	return ok
}

// allowed reports whether p may ask a query open to a about member or team
// (either may be "").
func (g *Gateway) allowed(p auth.Principal, a apiv1.Access, member, team string) bool {
	dir := g.cmd.Directory()
	switch p.Role {
	case auth.Admin:
		return a&apiv1.Admins != 0
	case auth.Analyst:
		return a&apiv1.Analysts != 0
	case auth.Integration:
		return a&apiv1.Integrations != 0
	case auth.Member, auth.Manager:
		me, _ := dir.Member(p.Tenant, p.Member)
		manager := p.Role == auth.Manager
		return (a&apiv1.Self != 0 && member != "" && member == p.Member) ||
			(a&apiv1.ManagersAbove != 0 && manager && member != "" && dir.ManagedBy(p.Tenant, member, p.Member)) ||
			(a&apiv1.TeamMembers != 0 && team != "" && me.Team == team && !me.Left) ||
			(a&apiv1.TeamManagers != 0 && manager && team != "" && dir.ManagesTeam(p.Tenant, p.Member, team))
	}
	return false
}

// who is the field a refusal names: the member or team the caller may not
// read, or the caller's key.
func who(member, team string) string {
	switch {
	case member != "":
		return "member"
	case team != "":
		return "team"
	}
	return "Authorization"
}

// describeAccess says who a refused caller could be, in words.
func describeAccess(a apiv1.Access) string {
	var people, roles []string
	for _, c := range []struct {
		flag  apiv1.Access
		words *[]string
		word  string
	}{
		{apiv1.Self, &people, "the member"},
		{apiv1.ManagersAbove, &people, "the managers above them"},
		{apiv1.TeamMembers, &people, "the team's members"},
		{apiv1.TeamManagers, &people, "the team's managers"},
		{apiv1.Admins, &roles, "admin"},
		{apiv1.Analysts, &roles, "analyst"},
		{apiv1.Integrations, &roles, "integration"},
	} {
		if a&c.flag != 0 {
			*c.words = append(*c.words, c.word)
		}
	}
	if len(roles) > 0 {
		people = append(people, and(roles)+" keys")
	}
	if len(people) == 0 {
		return "nobody"
	}
	return and(people)
}

// and joins words as a list: "a", "a and b", "a, b and c".
func and(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
