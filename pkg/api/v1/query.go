package v1

// Query is one query of the contract: its name (also the last part of the
// NATS subject its projection's replicas answer on), the HTTP route that
// asks it and who may, and zero values of its request and response types.
//
// Adding a query is its declaration (declare, beside its types), and its
// handler in the module of the projection that owns the
// data: the gateway serves
// Route, checks Access and asks the projection, in process or of its
// replicas, by Name.
type Query struct {
	Name string
	// Route is the HTTP route, as net/http's ServeMux reads it, "GET
	// /v1/members/{member}/balance"; its wildcards and the URL's
	// parameters fill the request's fields of the same JSON name, the
	// caller's tenant its Tenant. A path wildcard names an id: one that is
	// not valid, or a member the tenant does not know, is not found. Empty
	// when the gateway serves the query by a handler of its own, one whose
	// rules go beyond Access (a feed scope, a filtered gap list).
	Route string
	// Access says who may ask; nobody when empty.
	Access   Access
	Request  any
	Response any
}

// Access is the set of callers who may ask a query, by their key's role
// and where its member stands to the member or team the request names.
type Access uint16

// Callers a query may allow.
const (
	// Admins, Analysts and Integrations are keys of those roles.
	Admins Access = 1 << iota
	Analysts
	Integrations
	// Self is a member or manager key whose member is the request's member.
	Self
	// ManagersAbove is a manager key whose member manages the request's
	// member, directly or higher up.
	ManagersAbove
	// TeamMembers is a member or manager key whose member is, and has not
	// left, in the request's team.
	TeamMembers
	// TeamManagers is a manager key whose member manages someone in the
	// request's team.
	TeamManagers
)

// Queries are every query the projections answer, each declared beside
// its types. A query missing here is answered in process only.
var Queries []Query

// declare adds q to Queries and returns its name.
func declare(q Query) string {
	Queries = append(Queries, q)
	return q.Name
}
