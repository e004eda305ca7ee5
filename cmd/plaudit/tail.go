package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

// Reconnection of tail.
const (
	tailBackoffMin = 250 * time.Millisecond
	tailBackoffMax = 10 * time.Second
	// tailIdle: plauditd sends a comment every 15 s on an idle stream, so
	// this long a silence means the connection died without closing.
	tailIdle = 45 * time.Second
)

var errIdle = fmt.Errorf("no data from plauditd for %s", tailIdle)

func (c *cli) tail(ctx context.Context, args []string) error {
	s := &spec{
		name: "tail",
		args: "[--type NAME[,NAME…]] [--from-start | --after SEQ] [--json]",
		about: `Follow the tenant's events as they happen, one line each, until interrupted.
By default only new events are shown. A dropped connection is resumed after
the last event shown. --type keeps the types whose name contains one of the
names (kudos_given, rating_received, nudge_issued, ...: every type is listed
in schemas/README.md). With --json each event is printed as its CloudEvents
JSON envelope.`,
	}
	fs := s.flags()
	types := fs.String("type", "", "event types to show, comma-separated (default all)")
	fromStart := fs.Bool("from-start", false, "start from the first event in the stream")
	after := fs.Uint64("after", 0, "start after this stream sequence (0: from the first event)")
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	q := url.Values{}
	if ts := list(*types); len(ts) > 0 {
		q.Set("type", strings.Join(ts, ","))
	}
	switch {
	case *fromStart && isSet(fs, "after"):
		return &usageError{spec: s, msg: "--from-start and --after exclude each other"}
	case *fromStart:
		q.Set("after", "0")
	case isSet(fs, "after"):
		q.Set("after", strconv.FormatUint(*after, 10))
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	t := &tailer{cl: cl, out: c.stdout, log: c.stderr, json: c.json, query: q}
	return t.run(ctx)
}

// tailer follows GET /v1/stream, reconnecting after the last event shown.
type tailer struct {
	cl    *client
	out   io.Writer
	log   io.Writer
	json  bool
	query url.Values

	last    uint64 // the stream sequence of the last event shown
	resumed bool   // last is set
}

// fatal wraps an error that reconnecting cannot cure.
type fatal struct{ err error }

func (e *fatal) Error() string { return e.err.Error() }
func (e *fatal) Unwrap() error { return e.err }

// run follows the stream until ctx ends, which is not an error. The first
// connection must succeed; later ones are retried with backoff for as long
// as the server answers with something other than a 4xx problem.
func (t *tailer) run(ctx context.Context) error {
	backoff := tailBackoffMin
	connected := false
	for {
		ok, err := t.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if ok {
			connected, backoff = true, tailBackoffMin
		}
		var (
			p *problem
			f *fatal
		)
		switch {
		case errors.As(err, &f):
			return f.err
		case errors.As(err, &p) && p.Status < 500:
			return err
		case !connected:
			return err
		}
		fmt.Fprintf(t.log, "tail: %v; reconnecting in %s\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, tailBackoffMax)
	}
}

// follow reads one connection's events until it fails. connected reports
// whether the server accepted the connection.
func (t *tailer) follow(ctx context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(tailIdle, func() { cancel(errIdle) })
	defer idle.Stop()

	path := "/v1/stream"
	if len(t.query) > 0 {
		path += "?" + t.query.Encode()
	}
	req, err := t.cl.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return false, &fatal{err}
	}
	req.Header.Set("Accept", "text/event-stream")
	if t.resumed {
		// Overrides the query's after.
		req.Header.Set("Last-Event-ID", strconv.FormatUint(t.last, 10))
	}
	resp, err := t.cl.stream.Do(req)
	if err != nil {
		return false, &connError{base: t.cl.base, err: cause(ctx, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return false, answerError(resp, body)
	}

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		id, name string
		data     []string
	)
	for sc.Scan() {
		idle.Reset(tailIdle)
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				if err := t.show(id, name, strings.Join(data, "\n")); err != nil {
					return true, err
				}
			}
			name, data = "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: the greeting or a heartbeat
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			name = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("connection lost: %w", cause(ctx, err))
	}
	return true, errors.New("connection closed by plauditd")
}

// cause prefers the reason ctx was cancelled for (errIdle) to the error it
// caused.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

// show prints one event and remembers its sequence.
func (t *tailer) show(id, name, data string) error {
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return fmt.Errorf("event %q has id %q, not a stream sequence", name, id)
	}
	if t.resumed && seq <= t.last {
		return nil // already shown before a reconnect
	}
	var line string
	if t.json {
		line = data
	} else if env, err := event.Parse([]byte(data)); err != nil {
		line = fmt.Sprintf("#%d %s (unreadable: %v)", seq, name, err)
	} else {
		line = formatEvent(seq, env)
	}
	if _, err := fmt.Fprintln(t.out, line); err != nil {
		return &fatal{err}
	}
	t.last, t.resumed = seq, true
	return nil
}
