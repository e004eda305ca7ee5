package v1

// Op is one operation of the write side in the contract: its name, which
// is also its NATS endpoint (plaudit-api.v1.<tenant>.<name>), its HTTP route,
// and a zero value of its body's type (nil: it takes none).
//
// Adding an operation is its declaration (declareOp, beside its body's
// type) and its handler in the gateway's operation table; the
// gateway serves it over HTTP and NATS, and the CLI's `plaudit do` calls it.
type Op struct {
	Name string
	// Route is the HTTP route, as net/http's ServeMux reads it: "POST
	// /v1/kudos/{id}/reactions". Its one wildcard, if any, is the id the
	// operation acts on.
	Route string
	Body  any
}

// Ops are every operation of the write side.
var Ops []Op

// declareOp adds the operation name to Ops and returns its name.
func declareOp(name, route string, body any) string {
	Ops = append(Ops, Op{Name: name, Route: route, Body: body})
	return name
}
