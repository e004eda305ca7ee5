package cluster_test

import (
	"testing"
	"time"
)

// TestRollingRestart restarts the three nodes one after the other, as an
// upgrade does (SIGTERM, start, wait until the node has caught up, next),
// while 8 writers give kudos through two engines: nothing acknowledged is
// lost, nothing is stored twice, and the writes go on throughout.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	d := deploy(t, setup{engines: [][]int{nil, nil}, members: 1200, allowance: 5})
	l := newLoad(t)
	urls := map[string]string{"A": d.engines[0].URL, "B": d.engines[1].URL}
	l.run(l.pairs(t, 4, d.members, urls, []string{"A", "B"}, d.keys), d.members)

	l.waitAcks(t, 100, time.Minute)
	began := time.Now()
	for i := range 3 {
		before := l.acked.Load()
		stopped := time.Now()
		d.c.Stop(t, i)
		d.c.Restart(t, i)
		d.c.WaitHealthy(t, time.Minute)
		// Writes went on while the node was away, or resume now.
		l.waitAcks(t, before+50, time.Minute)
		t.Logf("%s restarted and caught up in %v", d.c.Node(i).Name, time.Since(stopped).Round(10*time.Millisecond))
	}
	l.finish(t, 30*time.Second)
	pause, at := l.gap(began, time.Now())
	t.Logf("longest time between acknowledged writes during the rolling restart: %v, %v after it began", pause.Round(time.Millisecond), at.Sub(began).Round(time.Millisecond))
	t.Logf("answers other than acknowledgements: %s", l.tally())
	l.verify(t, d)
}
