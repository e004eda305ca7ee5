package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds each call of this package, a browser's start included: a
// page that never shows what a step waits for fails the test instead of
// hanging it.
const Timeout = 30 * time.Second

// Run runs the steps in the tab ctx (from Tab), in order, and fails t at
// the first that fails or when they take longer than Timeout.
func Run(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Get runs one action that reads something, such as chromedp.Text or
// chromedp.Evaluate, in the tab ctx, and returns what it read; it fails t
// as Run does.
func Get[T any](t testing.TB, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}
