package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// Write retries: a write is sent again, with the same Idempotency-Key, after
// a connection error, a 503, or a 409 saying the first attempt is still being
// processed. The server answers a retry of a write it has carried out with
// its first answer, so a retry never gives kudos twice.
const (
	writeRetries   = 3
	retryBackoff   = 250 * time.Millisecond
	maxRetryWait   = 3 * time.Second
	requestTimeout = 30 * time.Second
)

// problemInProgress is the problem type of a retry that overtook its first
// attempt.
const problemInProgress = apiv1.ProblemBase + "request-in-progress"

// client talks to plauditd's HTTP API. It is safe for concurrent use.
type client struct {
	base   string // without a trailing slash
	key    string
	http   *http.Client // writes: bounded by requestTimeout
	stream *http.Client // the event stream: no overall timeout

	transport *http.Transport
}

// close releases the client's idle connections.
func (cl *client) close() { cl.transport.CloseIdleConnections() }

// api returns the invocation's client, reading the API key on first use.
func (c *cli) api() (*client, error) {
	if c.client != nil {
		return c.client, nil
	}
	key := strings.TrimSpace(c.key)
	if key == "" {
		b, err := os.ReadFile(c.keyFile)
		if err != nil {
			return nil, fmt.Errorf("no API key: pass --key, set PLAUDIT_KEY, or point --key-file (PLAUDIT_KEY_FILE) at a key file: %w", err)
		}
		if key = strings.TrimSpace(string(b)); key == "" {
			return nil, fmt.Errorf("no API key: key file %s is empty", c.keyFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c.client = &client{
		base:      strings.TrimRight(c.url, "/"),
		key:       key,
		http:      &http.Client{Transport: tr, Timeout: requestTimeout},
		stream:    &http.Client{Transport: tr},
		transport: tr,
	}
	return c.client, nil
}

func (cl *client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.key)
	// The server records kudos given with this agent as channel "cli".
	req.Header.Set("User-Agent", "plaudit-cli/"+version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// write sends a write with the Idempotency-Key idemKey and returns the body
// of its 2xx answer. A problem answer is returned as *problem.
func (cl *client) write(ctx context.Context, method, path, idemKey string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		reply, retryAfter, err := cl.writeOnce(ctx, method, path, idemKey, b)
		if err == nil || attempt == writeRetries || !retryable(ctx, err) {
			return reply, err
		}
		wait := max(retryBackoff<<attempt, retryAfter)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(wait, maxRetryWait)):
		}
	}
}

func (cl *client) writeOnce(ctx context.Context, method, path, idemKey string, body []byte) ([]byte, time.Duration, error) {
	req, err := cl.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Idempotency-Key", idemKey)
	req.Header.Set("Accept", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, 0, &connError{base: cl.base, err: err}
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, 0, &connError{base: cl.base, err: err}
	}
	if resp.StatusCode/100 == 2 {
		return reply, 0, nil
	}
	var retryAfter time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return nil, retryAfter, answerError(resp, reply)
}

// retryable reports whether a write may be sent again.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && uncertain(err)
}

// uncertain reports whether a write that failed with err may still have
// been carried out, or be carried out later.
func uncertain(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var (
		ce *connError
		pe *problem
	)
	switch {
	case errors.As(err, &ce):
		return true
	case errors.As(err, &pe):
		return pe.Status == http.StatusServiceUnavailable || pe.Type == problemInProgress
	}
	return false
}

// connError is a failure to reach the server or to read its answer.
type connError struct {
	base string
	err  error
}

func (e *connError) Error() string {
	return fmt.Sprintf("cannot reach plauditd at %s: %v", e.base, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// problem is an RFC 9457 problem the server answered with, or the status
// and start of a non-2xx answer that was not one.
type problem apiv1.Problem

// answered is a problem with its body as it came, which --json prints.
type answered struct {
	*problem
	raw []byte
}

func (a *answered) Unwrap() error { return a.problem }

// Error reads "<title>: <detail> (field: <field>)".
func (p *problem) Error() string {
	s := p.Title
	if s == "" {
		s = fmt.Sprintf("HTTP %d %s", p.Status, http.StatusText(p.Status))
	}
	// Validation details start with the field they name; it is shown once,
	// at the end.
	d := p.Detail
	if p.Field != "" {
		d = strings.TrimPrefix(d, p.Field+": ")
	}
	if d != "" {
		s += ": " + d
	}
	if p.Field != "" {
		s += " (field: " + p.Field + ")"
	}
	return s
}

// allowanceLine reads where a giver refused for overspending stands.
func allowanceLine(a *apiv1.AllowanceState) string {
	return fmt.Sprintf("remaining: %d of %d points this period (%s), %d requested; resets at %s%s",
		a.Remaining, a.Limit, a.Period, a.Requested, a.ResetsAt.UTC().Format(time.RFC3339), until(a.ResetsAt))
}

// until is " (in 3h05m)", or nothing for a time not ahead.
func until(t time.Time) string {
	d := time.Until(t).Round(time.Minute)
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf(" (in %dh%02dm)", int(d.Hours()), int(d.Minutes())%60)
}

// answerError turns a non-2xx answer into an error: its problem when it is
// one, else its status and the start of its body.
func answerError(resp *http.Response, body []byte) error {
	p := &problem{}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") && json.Unmarshal(body, p) == nil {
		if p.Status == 0 {
			p.Status = resp.StatusCode
		}
		return &answered{problem: p, raw: body}
	}
	detail := strings.TrimSpace(string(body))
	if len(detail) > 200 {
		detail = detail[:200] + "…"
	}
	return &problem{Status: resp.StatusCode, Detail: detail}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
