package cluster_test

import (
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/idempotency"
)

// TestPartitionedNodeRefusesWrites cuts the node that leads the event
// stream off from the other two (its routes are reset and refused; it
// keeps running, and its clients stay connected to it) while writers give
// kudos through two engines: engine "major" joined through the other two
// nodes, engine "minor" through the cut-off node alone. The majority
// elects a new leader and its writes go on; no write through the minority
// is acknowledged while the partition lasts. Once the links are back the
// node rejoins, and every acknowledged write is in the stream exactly
// once.
func TestPartitionedNodeRefusesWrites(t *testing.T) {
	t.Parallel()
	const cut = 2
	d := deploy(t, setup{engines: [][]int{{0, 1}, {cut}}, members: 1200, allowance: 20})
	d.c.MoveStreamLeader(t, d.nc, eventstore.DefaultStream, cut, 30*time.Second)
	// The majority's view of the stream, whichever node d.nc is on.
	majority, err := jetstream.New(d.c.Conn(t, 0, 1))
	if err != nil {
		t.Fatal(err)
	}

	l := newLoad(t)
	urls := map[string]string{"major": d.engines[0].URL, "minor": d.engines[1].URL}
	// Two pairs within the majority, one pair across, on givers of its
	// own: the majority's pairs, faster, would spend them first.
	ws := l.pairs(t, 2, d.members[:800], urls, []string{"major"}, d.keys)
	ws = append(ws, l.pairs(t, 1, d.members[800:], urls, []string{"major", "minor"}, d.keys[4:])...)
	var (
		mu                   sync.Mutex
		partitioned, healed  time.Time
		minorDuring, minorOK int
	)
	for _, w := range ws {
		if w.engine != "minor" {
			continue
		}
		// Counted: the requests sent once the partition began and
		// answered before it ended.
		w.watch = func(sent time.Time, status int) {
			answered := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if partitioned.IsZero() || sent.Before(partitioned) || (!healed.IsZero() && !answered.Before(healed)) {
				return
			}
			minorDuring++
			if status == 200 || status == 201 {
				minorOK++
			}
		}
	}
	l.run(ws, d.members)
	l.waitAcks(t, 200, time.Minute)

	mu.Lock()
	partitioned = time.Now()
	mu.Unlock()
	d.c.Partition(t, cut)
	before := l.acked.Load()
	next := d.c.StreamLeader(t, majority, eventstore.DefaultStream, 30*time.Second)
	for next == cut {
		// Until the majority elects one of its own, it may still name
		// the cut-off node.
		time.Sleep(100 * time.Millisecond)
		next = d.c.StreamLeader(t, majority, eventstore.DefaultStream, 30*time.Second)
	}
	elected := time.Since(partitioned)
	l.waitAcks(t, before+200, time.Minute)
	// Let the minority's writers meet the partition for a while too.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := minorDuring
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	healed = time.Now()
	during, ok := minorDuring, minorOK
	mu.Unlock()
	d.c.Heal(t, cut)
	d.c.WaitHealthy(t, time.Minute)
	rejoined := time.Since(healed)
	// The minority's engine writes again.
	minorAcks := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		n := 0
		for _, a := range l.acks {
			if a.engine == "minor" && a.at.After(healed) {
				n++
			}
		}
		return n
	}
	// A reservation of an Idempotency-Key made during the partition whose
	// release could not reach the bucket holds the key for up to
	// idempotency.PendingTTL (retries are answered 409 meanwhile, by
	// design): wait past it.
	deadline = time.Now().Add(idempotency.PendingTTL + 30*time.Second)
	for minorAcks() < 5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	l.finish(t, 30*time.Second)

	pause, at := l.gap(partitioned.Add(-time.Second), healed)
	after, afterAt := l.gap(healed, time.Now())
	t.Logf("cut %s off (it led the stream); the majority's %s leads %v later", d.c.Node(cut).Name, d.c.Node(next).Name, elected.Round(10*time.Millisecond))
	t.Logf("longest time between acknowledged writes during the partition: %v, from %v after the cut; after healing: %v, from %v after", pause.Round(time.Millisecond), at.Sub(partitioned).Round(time.Millisecond), after.Round(time.Millisecond), afterAt.Sub(healed).Round(time.Millisecond))
	t.Logf("through the cut-off node: %d requests sent during the partition, %d acknowledged; %d acknowledged after healing", during, ok, minorAcks())
	t.Logf("healed: the node is current again %v later", rejoined.Round(10*time.Millisecond))
	t.Logf("answers other than acknowledgements: %s", l.tally())
	if during == 0 {
		t.Error("no write went through the cut-off node during the partition: the test shows nothing")
	}
	if ok > 0 {
		t.Errorf("%d of %d writes through the cut-off node were acknowledged during the partition", ok, during)
	}
	if n := minorAcks(); n < 5 {
		t.Errorf("%d writes through the once cut-off node acknowledged after healing, want 5", n)
	}
	l.verify(t, d)
}
