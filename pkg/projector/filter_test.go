package projector

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func TestSubjectFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter, subject string
		want            bool
	}{
		{"plaudit.*.kudos.>", "plaudit.acme.kudos.ana.given", true},
		{"plaudit.*.kudos.>", "plaudit.acme.kudos", false},
		{"plaudit.*.kudos.>", "plaudit.acme.reaction.x.ana.added", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.given", true},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.retracted", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.ana.given.x", false},
		{"plaudit.*.kudos.*.given", "plaudit.acme.kudos.given", false},
		{"plaudit.*.policy.set", "plaudit.acme.policy.set", true},
		{"plaudit.>", "plaudit.a", true},
		{"plaudit.>", "plaudit", false},
		{">", "anything.at.all", true},
		{"*", "one", true},
		{"*", "one.two", false},
		{"plaudit.acme.>", "plaudit.acmex.kudos.ana.given", false},
	}
	for _, tt := range tests {
		if got := (subjectFilter{tt.filter}).match(tt.subject); got != tt.want {
			t.Errorf("%q matches %q: %v, want %v", tt.filter, tt.subject, got, tt.want)
		}
	}
	if (subjectFilter{}).match("plaudit.acme.kudos.ana.given") {
		t.Error("no filters match a subject")
	}
	if !(subjectFilter{"plaudit.*.member.>", "plaudit.*.kudos.>"}).match("plaudit.acme.kudos.ana.given") {
		t.Error("the second filter does not match")
	}
}

// TestServerFilteredConsumerReplaced: a durable consumer left by a runtime
// that filtered on the server is replaced by an unfiltered one starting
// after the store's last sequence; the projection still gets only its
// events, and the runner's last sequence moves past the others.
func TestServerFilteredConsumerReplaced(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, "")
	st := testenv.Store(t, srv)
	ctx := context.Background()
	if _, err := EnsureDeadLetterStream(ctx, st.JetStream(), 1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r, err := New(tally{}, Config{Stream: st, Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: r.ConsumerName(), FilterSubjects: tally{}.Filters(), AckPolicy: jetstream.AckAllPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	appendKudos(t, st, 3, "bo")
	// An event the projection does not take, last in the stream.
	env, err := event.New("acme", uuid.Must(uuid.NewV7()).String(), time.Now(), event.MemberLeft{Member: "eli"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, eventstore.Pending{Event: env}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(runCtx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait(); r.Close() }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	last := streamLast(t, st)
	if err := r.WaitFor(wctx, last); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.LastSeq() < last && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	counts, seq, applied := tallyOf(t, r)
	if counts["bo"] != 3 || applied != 3 || seq != last {
		t.Fatalf("counts %v, applied %d, last %d (stream %d)", counts, applied, seq, last)
	}
	c, err := st.Stream().Consumer(ctx, r.ConsumerName())
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.CachedInfo().Config; cfg.FilterSubject != "" || len(cfg.FilterSubjects) != 0 {
		t.Errorf("the consumer still filters on the server: %+v", cfg)
	}
}
