// Package v1 is the wire contract of Plaudit's v1 API: the JSON bodies that
// cross HTTP and NATS between the gateway (pkg/api), the projections that
// answer queries (projections/*), the CLI (cmd/plaudit) and Go clients.
//
// It holds, for each query a projection answers, its name and its request
// and response types (Queries lists them all); and, for each command the
// gateway carries out, the body it reads and the body it answers with. A
// command's doc names its HTTP route and its NATS operation ("NATS:
// kudos.give"): a NATS request carries the same body as its HTTP twin.
// Field names and omitempty decide the bytes on the wire, so a change to a
// type here is a change to the API, and clients of older builds keep
// sending and reading the old bytes.
//
// It holds types and names only: no validation and no defaults, which are
// the gateway's and the projections'. The transport is not here either:
// the operation names, headers and subjects of the NATS command service
// are pkg/api's, a NATS credential's shape pkg/natsauth's. It imports
// nothing but pkg/event and the standard library, so that every side of
// the wire can import it; import it as apiv1.
package v1
