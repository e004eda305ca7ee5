package projector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// QueryFunc answers one query: a JSON request in, a JSON reply out. The
// same function serves in-process callers and, through ServeQueries, other
// processes over NATS.
type QueryFunc func(ctx context.Context, req []byte) ([]byte, error)

// QueryError is a refusal a caller can act on, with the HTTP status it
// maps to and the request field at fault.
type QueryError struct {
	Status int    `json:"status"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

func (e *QueryError) Error() string { return e.Detail }

// BadQuery refuses a query for one field.
func BadQuery(field, format string, args ...any) error {
	return &QueryError{Status: http.StatusBadRequest, Field: field, Detail: field + " " + fmt.Sprintf(format, args...)}
}

// MaxWait bounds how long a read waits for its min_seq.
const MaxWait = 2 * time.Second

// ReadYourWrites waits until r has applied minSeq (0: no wait), at most
// MaxWait, and answers a 503 QueryError when it has not. A checkpoint the
// runner has not found to be of the stream there counts for nothing
// (WaitFor).
func ReadYourWrites(ctx context.Context, r *Runner, minSeq uint64) error {
	if minSeq == 0 || r.caughtUp(minSeq) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, MaxWait)
	defer cancel()
	if err := r.WaitFor(ctx, minSeq); err != nil {
		detail := fmt.Sprintf("projection %s has not applied sequence %d yet (at %d); retry", r.Name(), minSeq, r.LastSeq())
		if r.Fault() != nil { // the why is for operators: Status, the log
			detail = fmt.Sprintf("projection %s cannot serve reads yet; retry", r.Name())
		}
		return &QueryError{Status: http.StatusServiceUnavailable, Field: "min_seq", Detail: detail}
	}
	return nil
}

// Request is a query's request: it names the stream sequence the reader
// must see (read your writes; 0 for none).
type Request interface {
	ReadAfter() uint64
}

// Query makes the QueryFunc of one query, written once for every
// projection: it decodes the JSON request (a body that is not one is
// refused on the field "body", as what), waits for the request's
// sequence (ReadYourWrites), answers with read in a View of r's store, and
// encodes the answer as JSON. read returns a *QueryError for refusals the
// caller can act on.
func Query[Req Request, Resp any](r *Runner, what string, read func(rd *Reader, req Req) (Resp, error)) QueryFunc {
	return func(ctx context.Context, raw []byte) ([]byte, error) {
		var req Req
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, BadQuery("body", "is not %s", what)
		}
		if err := ReadYourWrites(ctx, r, req.ReadAfter()); err != nil {
			return nil, err
		}
		var resp Resp
		err := r.View(func(rd *Reader) (err error) {
			// The slot is taken once the store is at hand: a read held up
			// by a rebuild's swap must not keep other projections' reads
			// waiting.
			release, err := readSlot(ctx)
			if err != nil {
				return err
			}
			defer release()
			resp, err = read(rd, req)
			return err
		})
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
}

// readSlots admits reads to the stores, as many at once as there are
// processors to run them, the others waiting their turn in arrival order
// (a full channel hands its slots to the senders waiting in order). A read
// is tens to hundreds of microseconds of CPU that seldom blocks: with more
// at once, the scheduler time-slices them, and a read that loses its slice
// waits ten milliseconds or more while those that keep theirs finish; in
// line, each waits only for the reads ahead of it.
var readSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// readSlot waits for a read slot, at most until ctx ends, and returns the
// function that frees it.
func readSlot(ctx context.Context) (func(), error) {
	select {
	case readSlots <- struct{}{}:
		return func() { <-readSlots }, nil
	case <-ctx.Done():
		return nil, &QueryError{Status: http.StatusServiceUnavailable, Detail: "too many reads at once; retry"}
	}
}

// Module is what a projection package hands to the engine: the projection
// and the queries it answers, given its running Runner and the clock.
type Module struct {
	Projection Projection
	Queries    func(r *Runner, now func() time.Time) map[string]QueryFunc
}

// Timers is what a projection with clock-driven work is handed: its
// runner, the clock, and every query by name.
type Timers struct {
	Runner  *Runner
	Now     func() time.Time
	Queries map[string]QueryFunc
	Logger  *slog.Logger
}

// QueryPrefix prefixes query subjects: "plaudit-query.v1.<query name>".
const QueryPrefix = "plaudit-query.v1"

// ServeQueries serves queries as a NATS micro service named after the
// projection; replicas share its queue group, so reads spread across them.
func ServeQueries(ctx context.Context, nc *nats.Conn, projection, version string, queries map[string]QueryFunc) (micro.Service, error) {
	svc, err := micro.AddService(nc, micro.Config{
		Name:        "plaudit-" + projection,
		Version:     version,
		Description: "Plaudit " + projection + " projection queries",
	})
	if err != nil {
		return nil, fmt.Errorf("projector: serve %s: %w", projection, err)
	}
	for name, fn := range queries {
		// Queries are answered from their own goroutine (a read may wait
		// for min_seq), so the reply is published on the connection: the
		// micro request's Respond and Error record the outcome in the
		// request, which the service reads as soon as the handler returns.
		handler := micro.HandlerFunc(func(req micro.Request) {
			data, reply := req.Data(), req.Reply()
			go func() {
				qctx, cancel := context.WithTimeout(ctx, MaxWait+time.Second)
				defer cancel()
				m := nats.NewMsg(reply)
				out, err := fn(qctx, data)
				if err != nil {
					qe := asQueryError(err)
					m.Data, _ = json.Marshal(qe)
					m.Header.Set(micro.ErrorHeader, qe.Detail)
					m.Header.Set(micro.ErrorCodeHeader, strconv.Itoa(qe.Status))
				} else {
					m.Data = out
				}
				if reply != "" {
					_ = nc.PublishMsg(m)
				}
			}()
		})
		endpoint := strings.ReplaceAll(name, ".", "_")
		if err := svc.AddEndpoint(endpoint, handler, micro.WithEndpointSubject(QueryPrefix+"."+name)); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("projector: serve %s: %w", name, err)
		}
	}
	// Once the server has the subscriptions, a query from any connection
	// finds this replica: a service that says it serves does.
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("projector: serve %s: %w", projection, err)
	}
	return svc, nil
}

func asQueryError(err error) *QueryError {
	var qe *QueryError
	if errors.As(err, &qe) {
		return qe
	}
	return &QueryError{Status: http.StatusInternalServerError, Detail: "query failed"}
}

// RemoteQuery asks a projection served by another process.
func RemoteQuery(nc *nats.Conn, name string) QueryFunc {
	return func(ctx context.Context, req []byte) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, MaxWait+2*time.Second)
		defer cancel()
		msg, err := nc.RequestWithContext(ctx, QueryPrefix+"."+name, req)
		if err != nil {
			return nil, &QueryError{Status: http.StatusServiceUnavailable, Detail: "no " + name + " replica answered"}
		}
		if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
			var qe QueryError
			if json.Unmarshal(msg.Data, &qe) != nil || qe.Status == 0 {
				qe.Status, qe.Detail = http.StatusBadGateway, msg.Header.Get(micro.ErrorHeader)
			}
			return nil, &qe
		}
		return msg.Data, nil
	}
}
