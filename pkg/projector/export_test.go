package projector

import (
	"testing"

	"github.com/plaudit/plaudit/pkg/eventstore"
)

// setHook makes hook the test hook of r (testHooks) until the test ends.
func setHook(t testing.TB, r *Runner, hook func(point string) error) {
	t.Helper()
	if hook == nil {
		return
	}
	testHooks.Store(r, hook)
	t.Cleanup(func() { testHooks.Delete(r) })
}

// The crash harness's projection and helpers, for the external tests.
type Tally = tally

// AppendKudos appends n kudos from ana to each of to (appendKudos).
func AppendKudos(t *testing.T, st *eventstore.Store, n int, to ...string) {
	t.Helper()
	appendKudos(t, st, n, to...)
}

// TallyCounts is the kudos r's Tally counted per recipient (tallyOf).
func TallyCounts(t *testing.T, r *Runner) map[string]uint64 {
	t.Helper()
	counts, _, _ := tallyOf(t, r)
	return counts
}

// TestConfig is a runner's Config on st in dir (testConfig).
var TestConfig = testConfig

// StartRunner starts a runner of p on cfg until the returned function
// stops it and closes its store, or the test ends (startRunner).
func StartRunner(t *testing.T, p Projection, cfg Config) (*Runner, func()) {
	t.Helper()
	return startRunner(t, p, cfg, nil)
}
