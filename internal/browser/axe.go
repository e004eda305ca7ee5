package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Violation is a rule of axe-core that the page breaks, with the elements
// that break it.
type Violation struct {
	ID          string   `json:"id"`     // the rule, e.g. "image-alt"
	Impact      string   `json:"impact"` // "minor", "moderate", "serious" or "critical"
	Description string   `json:"description"`
	Help        string   `json:"help"`
	HelpURL     string   `json:"helpUrl"`
	Tags        []string `json:"tags"` // e.g. "wcag2aa", "wcag143"
	Nodes       []Node   `json:"nodes"`
}

// Node is an element that breaks a rule.
type Node struct {
	// Target is a CSS selector of the element for each document it is in,
	// outermost first; a step into a shadow root is written " >>> ".
	Target         []string `json:"target"`
	HTML           string   `json:"html"`
	FailureSummary string   `json:"failureSummary"`
}

// Fails reports whether the violation fails a test: its impact is serious
// or critical.
func (v Violation) Fails() bool {
	return v.Impact == "serious" || v.Impact == "critical"
}

// Axe checks the page in the tab ctx (from Tab) with axe-core's rules, and
// returns every violation. It fails t, listing them, on the serious and
// critical ones, and when axe-core cannot run (make axe fetches it).
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	vs, err := axe(ctx)
	if err != nil {
		t.Fatalf("browser: axe: %v", err)
	}
	var b strings.Builder
	for _, v := range vs {
		if !v.Fails() {
			continue
		}
		fmt.Fprintf(&b, "\n\t%s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t\t%s", strings.Join(n.Target, " "))
		}
	}
	if b.Len() > 0 {
		t.Errorf("browser: axe: accessibility violations:%s", b.String())
	}
	return vs
}

// axeRun runs axe-core on the document and keeps of its result what
// Violation holds.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact, description: v.description, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
	nodes: v.nodes.map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
		html: n.html, failureSummary: n.failureSummary,
	})),
})))`

// axe injects axe-core into the page, unless it is there, and runs it.
func axe(ctx context.Context) ([]Violation, error) {
	src, err := axeSource()
	if err != nil {
		return nil, err
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return vs, nil
}

// axeSource is bin/axe-core/axe.min.js, which make axe puts there.
var axeSource = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "bin", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s is missing: run `make axe` to fetch axe-core", path)
	}
	if err != nil {
		return "", err
	}
	return string(b), nil
})

// moduleRoot is the nearest directory above the working directory (a
// package's, under go test) that holds go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod in %s or above it", wd)
		}
	}
}
