package projector

import "testing"

// setHook makes hook the test hook of r (testHooks) until the test ends.
func setHook(t testing.TB, r *Runner, hook func(point string) error) {
	t.Helper()
	if hook == nil {
		return
	}
	testHooks.Store(r, hook)
	t.Cleanup(func() { testHooks.Delete(r) })
}
