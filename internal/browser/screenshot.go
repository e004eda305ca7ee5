package browser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names the environment variable that turns Screenshot on:
// the directory the pictures go to.
const ScreenshotsEnv = "PLAUDIT_SCREENSHOTS"

// Screenshot saves a PNG of the visible part of the page in the tab ctx
// (from Tab) as name.png, in the directory that PLAUDIT_SCREENSHOTS names,
// for a person to look at; without it, it does nothing.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		t.Fatalf("browser: screenshot name %q is not a plain file name", name)
	}
	png := Get(t, ctx, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	t.Logf("browser: screenshot %s", path)
}
