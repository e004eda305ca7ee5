// Package teams is Plaudit's Microsoft Teams integration (DESIGN decision
// 12): people give kudos by mentioning an outgoing webhook in a channel
// (the signed activity becomes an ordinary give command, answered in
// place), and a tenant's public kudos and its members' nudges are posted
// as Adaptive Cards to Power Automate workflows, each through a relay
// (package relay) that reads the stream.
//
// It decides nothing itself: the write side refuses what the API would
// refuse, in the same words, and the rules engine decided which nudges
// are delivered and when. It keeps each tenant's settings (security token
// and workflow URLs, sealed) in a bucket of its own.
package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/relay"
	"github.com/plaudit/plaudit/pkg/seal"
	"github.com/plaudit/plaudit/pkg/webhook"
)

// Name is the integration's name in the admin API
// (/v1/integrations/teams).
const Name = "teams"

// Config is what the integration runs on.
type Config struct {
	// JetStream holds the settings bucket, with Replicas replicas.
	JetStream jetstream.JetStream
	Replicas  int
	// Stream is the event stream the relays read.
	Stream  jetstream.Stream
	Command *command.Service
	Sealer  *seal.Sealer
	// Policy says where the workflow posts may go.
	Policy webhook.Policy
	Dead   *relay.DeadLetters
	// Timeout bounds one workflow post; 10 s when zero.
	Timeout time.Duration
	// Retries makes the schedule of one card's retries
	// (relay.DefaultRetries when nil).
	Retries func() backoff.BackOff
	// Now is the clock activities' timestamps are checked against; the
	// command service's when nil. (Where a relay starts is JetStream's
	// time, always the wall clock.)
	Now func() time.Time
	// AnswerWithin is how long an activity may take to answer;
	// DefaultAnswerWithin when zero.
	AnswerWithin time.Duration
	Log          *slog.Logger
	// TracerProvider traces the relays' deliveries of events that carry
	// a trace (relay.Relay.TracerProvider); nil traces nothing.
	TracerProvider trace.TracerProvider
}

// DefaultAnswerWithin is how long an activity may take to answer (Config's
// AnswerWithin): Teams gives up on an outgoing webhook after about five
// seconds, and shows the person an error.
const DefaultAnswerWithin = 4 * time.Second

// Teams is the integration. It is safe for concurrent use.
type Teams struct {
	store   chat.Store[record]
	stream  jetstream.Stream
	cmd     *command.Service
	sealer  *seal.Sealer
	policy  webhook.Policy
	client  *http.Client
	dead    *relay.DeadLetters
	retries func() backoff.BackOff
	now     func() time.Time
	within  time.Duration
	log     *slog.Logger
	sup     *relay.Supervisor

	mu      sync.Mutex
	current map[string]*atomic.Pointer[settings] // by tenant: what its relays' Send reads
}

// Routes are the integration's inbound routes, for the engine to serve
// beside the API (they authenticate by signature, not API key).
func (t *Teams) Routes() map[string]http.Handler {
	return map[string]http.Handler{MessagesRoute: http.HandlerFunc(t.ServeMessages)}
}

// Ready is nil while the integration follows its settings (the relays'
// supervisor read them, and watches them).
func (t *Teams) Ready() error { return t.sup.Ready() }

// Open creates or binds the settings bucket and returns the integration.
func Open(ctx context.Context, cfg Config) (*Teams, error) {
	if cfg.Command == nil || cfg.Sealer == nil || cfg.Stream == nil || cfg.JetStream == nil || cfg.Dead == nil {
		return nil, errors.New("teams: Open needs JetStream, Stream, Command, Sealer and Dead")
	}
	kv, err := bucket.Open(ctx, cfg.JetStream, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Plaudit's Microsoft Teams settings, by tenant (token and workflow URLs sealed)",
	}, cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	t := &Teams{
		store:  chat.Store[record]{KV: kv, NotConfigured: ErrNotConfigured, Name: Name},
		stream: cfg.Stream, cmd: cfg.Command, sealer: cfg.Sealer, policy: cfg.Policy,
		dead: cfg.Dead, retries: cfg.Retries, now: cfg.Now, within: cfg.AnswerWithin, log: cfg.Log,
		current: map[string]*atomic.Pointer[settings]{},
	}
	if t.within <= 0 {
		t.within = DefaultAnswerWithin
	}
	if t.now == nil {
		t.now = cfg.Command.Now
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.log = t.log.With("component", "teams")
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	t.client = cfg.Policy.Client(timeout)
	t.sup = t.supervisor()
	t.sup.TracerProvider = cfg.TracerProvider
	return t, nil
}
