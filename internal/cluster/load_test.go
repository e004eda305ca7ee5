package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/engine/enginetest"
)

// message is every kudos' message; refMark and the writer's reference
// for the request follow it, so that what the stream holds names the
// request that stored it.
const (
	message = "Thanks for taking over the refund escalation while I was in the onboarding session"
	refMark = " (ref "
)

// load is writers giving kudos over HTTP, each request with an
// Idempotency-Key (its ref), retried with the same key after anything but
// a definite answer until it gets one: created (or replayed), or refused
// for the giver's allowance. Writers work in pairs on one list of givers,
// both giving from the same giver until its allowance is spent, each
// through its own engine: the allowance race across engines.
type load struct {
	t     *testing.T
	start time.Time

	ctx  context.Context // ends: start no new request
	stop context.CancelFunc
	// give up on an unresolved request at this context's end
	hardCtx  context.Context
	hardStop context.CancelFunc
	wg       sync.WaitGroup

	mu sync.Mutex
	// acks are the writes acknowledged, in the order the answers came.
	acks []ack
	// refused are the refs refused for the allowance, with their givers.
	refused map[string]string
	// unresolved are the refs with no definite answer when the load
	// stopped: they may be stored, at most once.
	unresolved map[string]bool
	// answers counts the answers other than acknowledgements, by engine,
	// status and problem type, and transport errors.
	answers map[string]int
	acked   atomic.Int64
	active  atomic.Int32 // writers running
	writers int          // made so far, for their ids
}

// ack is an acknowledged write.
type ack struct {
	at      time.Time
	ref, id string
	giver   string
	engine  string
	seq     uint64
	firstAt time.Time // when its first attempt was sent
}

// writer is one of the load's writers.
type writer struct {
	id     int
	engine string // its name, for the tally
	url    string
	key    string
	client *http.Client
	givers *cursor
	// watch, when set, is told of every answer with the time the
	// request was sent.
	watch func(sent time.Time, status int)
}

// cursor is the giver a pair of writers gives from, moved on when its
// allowance is spent.
type cursor struct {
	mu     sync.Mutex
	givers []string // each with its recipient after it: givers[i]+1
	i      int
}

func (c *cursor) current() (giver string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.i >= len(c.givers) {
		return "", false
	}
	return c.givers[c.i], true
}

// spent moves the cursor past giver, if it is still there.
func (c *cursor) spent(giver string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.i < len(c.givers) && c.givers[c.i] == giver {
		c.i++
	}
}

// newLoad makes an idle load; add writers with addPair or addWriter, then
// run it.
func newLoad(t *testing.T) *load {
	l := &load{t: t, refused: map[string]string{}, unresolved: map[string]bool{}, answers: map[string]int{}}
	l.ctx, l.stop = context.WithCancel(context.Background())
	l.hardCtx, l.hardStop = context.WithCancel(context.Background())
	t.Cleanup(func() { l.stop(); l.hardStop(); l.wg.Wait() })
	return l
}

// clientFrom is an HTTP client whose connections come from 127.0.0.<n>:
// the API limits requests per client address, and each writer is a
// client of its own.
func clientFrom(n int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+n))}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
	}
}

// pairs makes n pairs of writers, pair p's first writer on engine
// names[0] and its second on names[1%len], each with an API key of its own
// (keys, taken in order),
// over givers m-(p), m-(p+n), … of members (each giving to the member
// after it). The writers start giving at run.
func (l *load) pairs(t *testing.T, n int, members []string, engines map[string]string, names []string, keys []string) []*writer {
	t.Helper()
	var ws []*writer
	for p := range n {
		c := &cursor{}
		for g := p; g+1 < len(members); g += n {
			c.givers = append(c.givers, members[g])
		}
		for k := range 2 {
			name := names[k%len(names)]
			w := &writer{id: l.writers, engine: name, url: engines[name], givers: c, key: keys[len(ws)]}
			l.writers++
			w.client = clientFrom(w.id)
			ws = append(ws, w)
		}
	}
	return ws
}

// run starts the writers.
func (l *load) run(ws []*writer, members []string) {
	l.start = time.Now()
	next := map[string]string{}
	for i := 0; i+1 < len(members); i++ {
		next[members[i]] = members[i+1]
	}
	for _, w := range ws {
		l.wg.Add(1)
		l.active.Add(1)
		go func() {
			defer l.wg.Done()
			defer l.active.Add(-1)
			l.write(w, next)
		}()
	}
}

// write is one writer's loop.
func (l *load) write(w *writer, next map[string]string) {
	for n := 0; l.ctx.Err() == nil; n++ {
		giver, ok := w.givers.current()
		if !ok {
			return
		}
		ref := fmt.Sprintf("w%02d-%05d", w.id, n)
		body := map[string]any{
			"from": giver, "to": []string{next[giver]}, "points": 1,
			"message": message + refMark + ref + ")",
		}
		l.give(w, ref, giver, body)
	}
}

// give sends one kudos until it gets a definite answer, or the load's
// hard stop.
func (l *load) give(w *writer, ref, giver string, body map[string]any) {
	headers := map[string]string{"Idempotency-Key": ref}
	first := time.Now()
	backoff := 20 * time.Millisecond
	var history []string // the answers before the last, for a ref left unresolved
	unresolved := func() {
		l.mu.Lock()
		l.unresolved[ref] = true
		l.mu.Unlock()
		l.t.Logf("%s (writer %d, engine %s) unresolved after %v: %s", ref, w.id, w.engine, time.Since(first).Round(time.Millisecond), strings.Join(history, ", "))
	}
	for {
		sent := time.Now()
		r, err := sendWith(w.client, "POST", w.url+"/v1/kudos", w.key, body, headers)
		if err != nil {
			history = append(history, fmt.Sprintf("+%v %v", sent.Sub(first).Round(time.Millisecond), err))
		} else {
			history = append(history, fmt.Sprintf("+%v %d %s", sent.Sub(first).Round(time.Millisecond), r.Status, problemType(r)))
		}
		if w.watch != nil {
			status := 0
			if err == nil {
				status = r.Status
			}
			w.watch(sent, status)
		}
		switch {
		case err != nil:
			l.count(w.engine + " transport error")

		case r.Status == http.StatusCreated || r.Status == http.StatusOK:
			l.mu.Lock()
			l.acks = append(l.acks, ack{at: time.Now(), ref: ref, id: r.Str("id"), giver: giver, engine: w.engine, seq: r.Seq(), firstAt: first})
			l.mu.Unlock()
			l.acked.Add(1)
			if r.Status == http.StatusOK {
				l.count(w.engine + " 200 replayed")
			}
			return
		case r.Status == http.StatusUnprocessableEntity && strings.HasSuffix(r.Str("type"), "allowance-exceeded"):
			l.mu.Lock()
			l.refused[ref] = giver
			l.mu.Unlock()
			w.givers.spent(giver)
			return
		case r.Status == http.StatusConflict || r.Status == http.StatusTooManyRequests || r.Status >= 500:
			l.count(fmt.Sprintf("%s %d %s", w.engine, r.Status, problemType(r)))
		default:
			l.t.Errorf("writer %d, %s: unexpected answer %s", w.id, ref, r)
			unresolved()
			return
		}
		select {
		case <-l.hardCtx.Done():
			unresolved()
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

func problemType(r enginetest.Response) string {
	typ := r.Str("type")
	if i := strings.LastIndex(typ, "/"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ
}

func (l *load) count(what string) {
	l.mu.Lock()
	l.answers[what]++
	l.mu.Unlock()
}

// waitAcks waits at most d until n writes in all are acknowledged.
func (l *load) waitAcks(t *testing.T, n int64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for l.acked.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes acknowledged within %v, want %d; answers %v", l.acked.Load(), d, n, l.tally())
		}
		if !l.running() {
			t.Fatalf("the writers stopped after %d writes, want %d: out of givers", l.acked.Load(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether some writer still runs.
func (l *load) running() bool { return l.active.Load() > 0 }

// finish stops the writers: none starts a new request, and each gets a
// definite answer for the one it is on within d, or leaves it unresolved.
func (l *load) finish(t *testing.T, d time.Duration) {
	t.Helper()
	l.stop()
	timer := time.AfterFunc(d, l.hardStop)
	defer timer.Stop()
	l.wg.Wait()
}

// tally is the answers other than acknowledgements, as text.
func (l *load) tally() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.answers))
	for k := range l.answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d; ", k, l.answers[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// gap is the longest time from one acknowledgement to the next between
// from and to (counted from from), and when it began.
func (l *load) gap(from, to time.Time) (longest time.Duration, began time.Time) {
	l.mu.Lock()
	times := make([]time.Time, 0, len(l.acks))
	for _, a := range l.acks {
		if !a.at.Before(from) && !a.at.After(to) {
			times = append(times, a.at)
		}
	}
	l.mu.Unlock()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	prev := from
	for _, at := range times {
		if g := at.Sub(prev); g > longest {
			longest, began = g, prev
		}
		prev = at
	}
	return longest, began
}

// verify checks the stream against what the writers were told: every
// acknowledged write is stored exactly once, with the id it was
// acknowledged with; a write refused for the allowance is not stored; an
// unresolved one at most once; nothing else is stored; and no giver spent
// more than the allowance in a day, those refused for it exactly the
// allowance.
func (l *load) verify(t *testing.T, d *deployment) {
	t.Helper()
	events := d.kudosGiven(t)
	l.mu.Lock()
	defer l.mu.Unlock()
	byRef := map[string][]stored{}
	spent := map[[2]string]int{} // giver, period
	for _, e := range events {
		byRef[e.Ref] = append(byRef[e.Ref], e)
		spent[[2]string{e.Giver, e.Period}] += e.Spent
	}
	for ref, es := range byRef {
		if len(es) > 1 {
			t.Errorf("%s is stored %d times: %+v", ref, len(es), es)
		}
	}
	acked := map[string]bool{}
	for _, a := range l.acks {
		if acked[a.ref] {
			t.Errorf("%s acknowledged twice", a.ref)
		}
		acked[a.ref] = true
		es := byRef[a.ref]
		switch {
		case len(es) == 0:
			t.Errorf("%s was acknowledged (id %s, seq %d, by %s) and is not in the stream", a.ref, a.id, a.seq, a.engine)
		case es[0].ID != a.id || es[0].Seq != a.seq:
			t.Errorf("%s was acknowledged as %s at %d, the stream holds %s at %d", a.ref, a.id, a.seq, es[0].ID, es[0].Seq)
		}
	}
	for ref := range l.refused {
		if len(byRef[ref]) > 0 {
			t.Errorf("%s was refused for the allowance and is in the stream at %d", ref, byRef[ref][0].Seq)
		}
	}
	stray := 0
	for ref := range byRef {
		if !acked[ref] && !l.unresolved[ref] {
			stray++
			if stray <= 5 {
				t.Errorf("%s is in the stream and was never acknowledged, nor left unresolved", ref)
			}
		}
	}
	exhausted := map[string]bool{}
	for _, g := range l.refused {
		exhausted[g] = true
	}
	perGiver := map[string]int{}
	for k, n := range spent {
		if n > d.allowance {
			t.Errorf("%s spent %d points on %s, more than the allowance of %d:", k[0], n, k[1], d.allowance)
			for _, e := range events {
				if e.Giver != k[0] {
					continue
				}
				line := fmt.Sprintf("  seq %d %s %s", e.Seq, e.Ref, e.ID)
				for _, a := range l.acks {
					if a.ref == e.Ref {
						line += fmt.Sprintf(": acknowledged by %s at +%v, first sent at +%v", a.engine, a.at.Sub(l.start).Round(time.Millisecond), a.firstAt.Sub(l.start).Round(time.Millisecond))
					}
				}
				t.Log(line)
			}
		}
		perGiver[k[0]] = max(perGiver[k[0]], n)
	}
	for g := range exhausted {
		if perGiver[g] != d.allowance {
			t.Errorf("%s was refused for the allowance having spent %d of %d", g, perGiver[g], d.allowance)
		}
	}
	if len(l.acks) != len(events)-countUnresolvedStored(byRef, l.unresolved) {
		t.Errorf("%d writes acknowledged, %d kudos in the stream", len(l.acks), len(events))
	}
	t.Logf("%d writes acknowledged, %d refused for the allowance (%d givers spent exactly their %d points), %d unresolved; stream holds %d kudos",
		len(l.acks), len(l.refused), len(exhausted), d.allowance, len(l.unresolved), len(events))
}

func countUnresolvedStored(byRef map[string][]stored, unresolved map[string]bool) int {
	n := 0
	for ref := range unresolved {
		n += len(byRef[ref])
	}
	return n
}

// sendWith sends one request with client, as enginetest.Send does with
// its own.
func sendWith(client *http.Client, method, url, key string, body any, headers map[string]string) (enginetest.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return enginetest.Response{}, err
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		return enginetest.Response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return enginetest.Response{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return enginetest.Response{}, err
	}
	r := enginetest.Response{Status: resp.StatusCode, Header: resp.Header, Body: rb}
	_ = json.Unmarshal(rb, &r.JSON)
	return r, nil
}
