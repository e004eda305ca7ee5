// Package browser drives Debian's headless Chromium from go test, for tests
// of the pages that plauditd serves: open a page in a real browser, fill in
// and submit its forms, check it with axe-core for accessibility faults,
// watch its console for errors, and keep a screenshot of it.
//
// It is test support only: every call takes the test and fails it, never
// skips it, when something it needs is missing (make chromium, make axe;
// make test runs both). It speaks to the browser through chromedp, the
// Chrome DevTools Protocol driver; steps are chromedp actions.
package browser

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package puts the browser.
const ExecPath = "/usr/bin/chromium"

// The viewport of every tab.
const (
	viewportWidth  = 1280
	viewportHeight = 800
)

// Browser is one headless Chromium process with a profile of its own: its
// tabs share cookies and storage with each other and with nothing else, so
// two Browsers are two users.
type Browser struct {
	// ctx is the browser's handle, not a request's: chromedp keeps the
	// process in the context that started it, and its tabs are children.
	ctx context.Context
}

// New starts a browser for t, and stops it when t ends. It fails t when
// the browser is not installed or does not start.
func New(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(ExecPath); err != nil {
		t.Fatalf("browser: %s is missing (%v): run `make chromium` to install Debian's chromium package", ExecPath, err)
	}
	output := &tail{max: 4 << 10}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(ExecPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// No connections of the browser's own: on a closed network they
		// only fail, slowly, and log about it.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.CombinedOutput(output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// A graceful close first, so the profile is left whole; the
		// allocator's cancel then kills whatever is left, and waits.
		closeCtx, cancelClose := context.WithTimeout(ctx, Timeout)
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browser: close: %v", err)
		}
		cancelClose()
		cancel()
		cancelAlloc()
	})
	// The first Do starts the process; it is bound to ctx, which cannot
	// carry the deadline, so the deadline is kept here.
	if err := within(ctx, cancel, func() error { return chromedp.Do(ctx) }); err != nil {
		t.Fatalf("browser: start %s: %v\n%s", ExecPath, err, output)
	}
	return &Browser{ctx: ctx}
}

// Tab opens a new tab, in a window of its own so that it is visible and
// renders, and returns its context for chromedp actions (through Run, Get
// and the checks of this package). The tab closes when t ends. Its
// viewport is 1280x800 CSS pixels, whatever the window around it, so pages
// lay out, and screenshots come out, the same on every machine. Its
// console is recorded from the start; see JSErrors.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	con := &console{changed: make(chan struct{})}
	ctx = context.WithValue(ctx, consoleKey{}, con)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var messages iter.Seq2[chromedp.ConsoleMessage, error]
	err := within(ctx, cancel, func() error {
		// Console opens the tab and subscribes before any page loads.
		messages = chromedp.Console(ctx)
		return chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight))
	})
	if err != nil {
		close(done)
		t.Fatalf("browser: open a tab: %v", err)
	}
	go func() {
		defer close(done)
		con.record(messages)
	}()
	return ctx
}

// within runs f, and cancels (with its context, the browser or the tab f
// starts) when it takes longer than Timeout.
func within(ctx context.Context, cancel context.CancelFunc, f func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		cancel()
		<-errc
		return fmt.Errorf("no answer within %v", Timeout)
	}
}

// tail keeps the last max bytes written to it: the browser's output, shown
// when it fails to start.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if over := len(w.b) - w.max; over > 0 {
		w.b = w.b[over:]
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.b))
}
