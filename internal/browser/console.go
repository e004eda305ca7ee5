package browser

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleKey is the key of a tab's console in its context.
type consoleKey struct{}

// console records what a tab's page wrote to its console: calls of the
// console API, uncaught exceptions and rejections, and the browser's own
// log (a resource that failed to load, a blocked request).
type console struct {
	mu      sync.Mutex
	msgs    []chromedp.ConsoleMessage
	err     error         // why recording stopped, once it has
	changed chan struct{} // closed, and replaced, at every change
	marks   atomic.Int64
}

// record keeps the messages until they end, with the tab.
func (c *console) record(messages iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range messages {
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else {
			c.msgs = append(c.msgs, m)
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// sync returns the messages the page wrote before the call. The browser
// sends them ahead of a mark written now, in order, so once the mark is
// recorded so are they; waiting for the mark is waiting for them.
func (c *console) sync(t testing.TB, ctx context.Context) []chromedp.ConsoleMessage {
	t.Helper()
	mark := "plaudit/internal/browser: mark " + strconv.FormatInt(c.marks.Add(1), 10)
	Run(t, ctx, chromedp.Evaluate[chromedp.Void]("console.debug("+strconv.Quote(mark)+")"))
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		msgs, err, changed := c.msgs, c.err, c.changed
		c.mu.Unlock()
		for i, m := range msgs {
			if m.Text == mark {
				return msgs[:i:i]
			}
		}
		if err != nil {
			t.Fatalf("browser: console: %v", err)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("browser: console: the mark written %v ago was not seen", Timeout)
		}
	}
}

// isError reports whether m is an error: an uncaught exception or
// rejection, console.error or a failed console.assert, or an error of the
// browser's log. A missing /favicon.ico is none: the browser asks for it
// of its own accord, the page did not, and it is logged at a time of its
// own, so counting it would make checks flaky.
func isError(m chromedp.ConsoleMessage) bool {
	switch m.Type {
	case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
		if m.Source == "network" {
			if u, err := url.Parse(m.URL); err == nil && u.Path == "/favicon.ico" {
				return false
			}
		}
		return true
	}
	return false
}

// JSErrors returns the errors the page in the tab ctx (from Tab) has
// reported since the tab opened, over every page it showed: uncaught
// exceptions and promise rejections, console.error and failed
// console.assert calls, and errors of the browser's log such as a script
// or stylesheet that failed to load (a missing favicon is none).
func JSErrors(t testing.TB, ctx context.Context) []chromedp.ConsoleMessage {
	t.Helper()
	c, ok := ctx.Value(consoleKey{}).(*console)
	if !ok {
		t.Fatal("browser: JSErrors needs a context from Tab")
	}
	var errs []chromedp.ConsoleMessage
	for _, m := range c.sync(t, ctx) {
		if isError(m) {
			errs = append(errs, m)
		}
	}
	return errs
}

// NoJSErrors fails t, listing them, when the page in the tab ctx has
// reported errors (see JSErrors).
func NoJSErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	errs := JSErrors(t, ctx)
	if len(errs) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "browser: the page reported %d error(s):", len(errs))
	for _, m := range errs {
		fmt.Fprintf(&b, "\n\t%s", m)
		if m.URL != "" {
			fmt.Fprintf(&b, " (%s:%d)", m.URL, m.Line+1)
		}
	}
	t.Error(b.String())
}
