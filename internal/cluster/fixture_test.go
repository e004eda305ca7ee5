package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/internal/cluster"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.RemoveBinaries()
	os.Exit(code)
}

// adminKey is the bootstrap admin key of tenant "default" in every
// deployment of these tests.
const adminKey = "cluster-test-bootstrap-admin-key-0123456789"

// tenant is the tenant the bootstrap key administers.
const tenant = "default"

// deployment is a cluster and the plauditd engines joined to it, with a
// tenant's members and policy in place.
type deployment struct {
	c       *cluster.Cluster
	engines []*cluster.Process
	// nc is the test's own connection to the cluster, js on it.
	nc *nats.Conn
	js jetstream.JetStream
	// allowance is every member's allowance per day.
	allowance int
	members   []string
	// keys are admin API keys for the writers, made before the engines
	// after the first started.
	keys []string
}

// setup is what a deployment holds.
type setup struct {
	// engines is how many plauditd engines to start; each joins through
	// the nodes of its entry (every node when nil).
	engines [][]int
	// members to create, m-0000 on; allowance of each per day.
	members, allowance int
}

// deploy starts a cluster, starts the first engine, sets the tenant's
// policy and members through it, then starts the others: an engine reads
// the directory before it is ready, so each has the members from its
// first request on.
func deploy(t *testing.T, s setup) *deployment {
	t.Helper()
	c := cluster.Start(t)
	bin := cluster.Plauditd(t)
	d := &deployment{c: c, allowance: s.allowance}
	d.nc = c.Conn(t)
	var err error
	if d.js, err = jetstream.New(d.nc); err != nil {
		t.Fatal(err)
	}
	for i, nodes := range s.engines {
		// Engines sharing a stream each name their projections'
		// consumers apart (--replica); on the same names they would take
		// the consumers from each other.
		name := fmt.Sprintf("engine-%d", i+1)
		args := append(c.EngineArgs(nodes...), "--replica", name)
		p := cluster.StartPlauditd(t, bin, name, args, "PLAUDIT_BOOTSTRAP_KEY="+adminKey, "PLAUDIT_LOG_LEVEL=warn")
		d.engines = append(d.engines, p)
		if i == 0 {
			d.seed(t, p, s)
			// A key is read from the bucket on its first use, by direct
			// get from any replica, one that may not have the key yet
			// if that use follows its creation too closely (the engine
			// then refuses it for half a minute): made before the other
			// engines start, every replica has them by their first use.
			for range 16 {
				d.keys = append(d.keys, newKey(t, p.URL))
			}
		}
	}
	return d
}

// seed sets the tenant's policy and imports its members through p.
func (d *deployment) seed(t *testing.T, p *cluster.Process, s setup) {
	t.Helper()
	send(t, p.URL, "PUT", "/v1/policy", adminKey, map[string]any{
		"allowance": map[string]any{"amount": s.allowance, "period": "day"},
	}, http.StatusCreated)
	for i := range s.members {
		d.members = append(d.members, fmt.Sprintf("m-%04d", i))
	}
	for start := 0; start < len(d.members); start += 500 {
		var batch []map[string]any
		for _, id := range d.members[start:min(start+500, len(d.members))] {
			batch = append(batch, map[string]any{"id": id, "name": "Member " + id, "team": "support", "time_zone": "UTC"})
		}
		send(t, p.URL, "PUT", "/v1/members", adminKey, map[string]any{"members": batch}, http.StatusCreated)
	}
}

// send sends a request from the test's goroutine and wants status.
func send(t *testing.T, base, method, path, key string, body any, status int) enginetest.Response {
	t.Helper()
	r, err := enginetest.Send(method, base+path, key, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Want(t, status)
}

// newKey creates an admin API key of the tenant through base.
func newKey(t *testing.T, base string) string {
	t.Helper()
	r := send(t, base, "POST", "/v1/keys", adminKey, map[string]any{"role": "admin"}, http.StatusCreated)
	if r.Str("key") == "" {
		t.Fatalf("no key in %s", r)
	}
	return r.Str("key")
}

// stored is a kudos_given event as the stream holds it.
type stored struct {
	ID     string
	Seq    uint64
	Giver  string
	Period string
	Spent  int
	Ref    string // the writer's reference in the message (load.ref)
}

// kudosGiven reads every kudos_given event of the tenant from the stream,
// trying again for at most a minute while the stream does not answer.
func (d *deployment) kudosGiven(t *testing.T) []stored {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	filter := event.KudosSubject(tenant, "*", "given")
	var out []stored
	for {
		out = out[:0]
		err := d.readStream(ctx, filter, func(m jetstream.Msg, seq uint64) error {
			env, err := event.Parse(m.Data())
			if err != nil {
				return fmt.Errorf("sequence %d: %w", seq, err)
			}
			data, err := env.Decode()
			if err != nil {
				return fmt.Errorf("sequence %d: %w", seq, err)
			}
			k := data.(event.KudosGiven)
			out = append(out, stored{ID: env.ID, Seq: seq, Giver: k.Giver, Period: k.Period, Spent: k.Spent, Ref: refOf(k.Message)})
			return nil
		})
		if err == nil {
			return out
		}
		if ctx.Err() != nil {
			t.Fatalf("read the stream: %v", err)
		}
		t.Logf("read the stream: %v; again", err)
	}
}

// readStream calls fn with every message of the event stream matching
// filter, in order, up to the last one there is now.
func (d *deployment) readStream(ctx context.Context, filter string, fn func(m jetstream.Msg, seq uint64) error) error {
	s, err := d.js.Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		return err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return err
	}
	var want uint64
	for _, n := range info.State.Subjects {
		want += n
	}
	if want == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return err
	}
	var got uint64
	for got < want {
		batch, err := cons.Fetch(int(min(want-got, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return err
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			got++
			if err := fn(m, md.Sequence.Stream); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			return err
		}
	}
	return nil
}

// refOf is the writer's reference at the end of a message, "" for none.
func refOf(message string) string {
	i := strings.LastIndex(message, refMark)
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(message[i+len(refMark):], ")")
}

// decodeJSON decodes a response body into v.
func decodeJSON(t *testing.T, r enginetest.Response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// decodeInto decodes JSON b into v.
func decodeInto(b []byte, v any) error { return json.Unmarshal(b, v) }
