package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// DefaultAPIURL is the base URL of Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// API calls Slack's Web API. Implementations are safe for concurrent use.
type API interface {
	// Call sends args to the Web API method with the bot token and
	// decodes an ok answer into out (when not nil). It blocks until
	// Slack answers or ctx ends. Args that are url.Values go
	// form-encoded (Slack's read methods take no JSON); anything else as
	// JSON. A refusal is an *APIError; a 429 a *relay.RetryAfterError
	// saying how long Slack asked to wait.
	Call(ctx context.Context, token, method string, args, out any) error
}

// APIError is Slack's refusal of a call: an answer with "ok": false and
// its error code, or an HTTP status that is not 200.
type APIError struct {
	Method string
	Code   string // Slack's "error", e.g. "channel_not_found"
	Status int    // the HTTP status
}

func (e *APIError) Error() string {
	if e.Code != "" {
		return "slack: " + e.Method + ": " + e.Code
	}
	return "slack: " + e.Method + ": HTTP " + strconv.Itoa(e.Status)
}

// Permanent reports whether calling again cannot help: the token is
// wrong or revoked, the channel or user is gone, the request is
// malformed. Slack's own faults (5xx, "internal_error",
// "fatal_error", "service_unavailable") and rate limits are worth a
// retry.
func (e *APIError) Permanent() bool {
	if e.Status >= 500 {
		return false
	}
	switch e.Code {
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
		return false
	}
	return true
}

// Client is the Web API over HTTP.
type Client struct {
	// BaseURL is where the methods are, DefaultAPIURL when empty; tests
	// and the README's tour point it at a fake.
	BaseURL string
	HTTP    *http.Client
}

var _ API = (*Client)(nil)

// maxAnswer bounds the answer of one call that is read.
const maxAnswer = 1 << 20

// Call implements API.
func (c *Client) Call(ctx context.Context, token, method string, args, out any) error {
	var (
		body        []byte
		contentType string
	)
	if form, ok := args.(url.Values); ok {
		body, contentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
	} else {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("slack: %s: %w", method, err)
		}
		body, contentType = b, "application/json; charset=utf-8"
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultAPIURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "Plaudit-Slack/1")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &relay.RetryAfterError{After: retryAfter(resp.Header), Err: &APIError{Method: method, Code: "ratelimited", Status: resp.StatusCode}}
	case resp.StatusCode != http.StatusOK:
		return &APIError{Method: method, Status: resp.StatusCode}
	}
	var answer struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("slack: %s: the answer is not JSON: %w", method, err)
	}
	if !answer.OK {
		return &APIError{Method: method, Code: answer.Error, Status: resp.StatusCode}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("slack: %s: %w", method, err)
		}
	}
	return nil
}

// retryAfter is how long Slack asked to be left alone (seconds, or an
// HTTP date; webhook.RetryAfter bounds it); a second when it did not say.
func retryAfter(h http.Header) time.Duration {
	if d, ok := webhook.RetryAfter(h); ok && d > 0 {
		return d
	}
	return time.Second
}

// retryable classifies a failed call for a relay: rate limits and
// Slack's own faults are retried, refusals that no retry can change end
// the retries (backoff.Permanent, through relay's classification).
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return !ae.Permanent()
	}
	return true
}
