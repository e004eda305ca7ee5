package cluster_test

import (
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/eventstore"
)

// TestStreamLeaderKilled: 16 writers give kudos through two plauditd
// engines on a three-node cluster, in pairs racing on each giver's
// allowance across the engines, and the node that leads the event stream
// is killed (SIGKILL) under them. Every acknowledged write is in the
// stream exactly once, writes resume (the longest time between two
// acknowledgements is logged: the pause the node's death caused), no giver
// spends more than the allowance, and those refused spent exactly it.
// The killed node, started again, catches up.
func TestStreamLeaderKilled(t *testing.T) {
	t.Parallel()
	d := deploy(t, setup{engines: [][]int{nil, nil}, members: 1200, allowance: 5})
	l := newLoad(t)

	urls := map[string]string{"A": d.engines[0].URL, "B": d.engines[1].URL}
	ws := l.pairs(t, 8, d.members, urls, []string{"A", "B"}, d.keys)
	l.run(ws, d.members)

	l.waitAcks(t, 300, time.Minute)
	leader := d.c.StreamLeader(t, d.js, eventstore.DefaultStream, 10*time.Second)
	killed := time.Now()
	d.c.Kill(t, leader)
	before := l.acked.Load()
	next := d.c.StreamLeader(t, d.js, eventstore.DefaultStream, 30*time.Second)
	elected := time.Since(killed)
	if next == leader {
		t.Fatalf("the killed node %d still leads", leader)
	}
	l.waitAcks(t, before+300, time.Minute)
	l.finish(t, 30*time.Second)
	pause, began := l.gap(killed.Add(-time.Second), time.Now())
	t.Logf("killed %s, the stream's leader, %v after the writers began; %s leads %v later (as seen by a client polling stream info)",
		d.c.Node(leader).Name, killed.Sub(l.start).Round(time.Millisecond), d.c.Node(next).Name, elected.Round(10*time.Millisecond))
	t.Logf("longest time between acknowledged writes: %v, from %v after the kill", pause.Round(time.Millisecond), began.Sub(killed).Round(time.Millisecond))
	t.Logf("answers other than acknowledgements: %s", l.tally())
	for _, e := range d.engines {
		if !e.Running() {
			t.Errorf("plauditd %s exited", e.Name)
		}
	}

	d.c.Restart(t, leader)
	d.c.WaitHealthy(t, time.Minute)
	l.verify(t, d)
}
