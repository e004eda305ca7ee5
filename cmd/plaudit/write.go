package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// written is the server's answer to a successful write, and its body as
// it came, which --json prints.
type written struct {
	apiv1.Written
	raw []byte
}

// send carries out one write under the invocation's Idempotency-Key.
func (c *cli) send(ctx context.Context, method, path string, body any) (written, error) {
	raw, err := c.sendRaw(ctx, method, path, body)
	if err != nil {
		return written{}, err
	}
	w := written{raw: raw}
	if err := jsonUnmarshal(raw, &w); err != nil {
		return written{}, err
	}
	return w, nil
}

func jsonUnmarshal(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("unreadable reply from plauditd: %w", err)
	}
	return nil
}

func (c *cli) sendRaw(ctx context.Context, method, path string, body any) ([]byte, error) {
	cl, err := c.api()
	if err != nil {
		return nil, err
	}
	if c.idempotencyKey == "" {
		c.idempotencyKey = newUUID()
	}
	c.sent = true
	return cl.write(ctx, method, path, c.idempotencyKey, body)
}

// sendReport sends one write (send) and reports its outcome (report).
func (c *cli) sendReport(ctx context.Context, method, path string, body any, done, again string) error {
	w, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	c.report(w, done, again)
	return nil
}

// sendCreated POSTs a write that makes a new what and reports its outcome
// by the id the server gave it: "kudos ID given", or "kudos ID was already
// given" for a replay.
func (c *cli) sendCreated(ctx context.Context, path string, body any, what, done string) error {
	w, err := c.send(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	c.report(w, what+" "+w.ID+" "+done, what+" "+w.ID+" was already "+done)
	return nil
}

// report prints the outcome of a write: done when it was carried out now,
// again when the server had carried it out before (a replay).
func (c *cli) report(w written, done, again string) {
	if c.json {
		c.printRaw(w.raw)
		return
	}
	msg := done
	if w.Replayed {
		msg = again
	}
	fmt.Fprintf(c.stdout, "%s (seq %d)\n", msg, w.Seq)
}

func (c *cli) printRaw(b []byte) {
	fmt.Fprintf(c.stdout, "%s\n", b)
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
