package testenv

import "time"

// Within reports whether cond holds within d, checking it at once and then
// every 20ms: the polling of the tests that wait for something a server
// does in its own time. The caller fails its test with what it waited for.
func Within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
