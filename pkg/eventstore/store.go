package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/plaudit/plaudit/internal/codec"
	"github.com/plaudit/plaudit/pkg/bucket"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// DefaultStream is the name of the event stream. Renaming it orphans every
// consumer and read model.
const DefaultStream = "PLAUDIT_EVENTS"

// Config configures the stream.
type Config struct {
	// Name of the stream; DefaultStream when empty.
	Name string
	// Replicas is 1 for a single server, 3 for a cluster.
	Replicas int
	// DuplicateWindow is how long JetStream remembers event ids; 2 minutes
	// when zero.
	DuplicateWindow time.Duration
}

// Store appends and loads events. It is safe for concurrent use.
type Store struct {
	nc *nats.Conn
	js jetstream.JetStream
	// pub appends. It publishes asynchronously and each Append waits for
	// its own acknowledgement, so concurrent appends share one reply
	// subscription instead of paying a request round trip each; its ack
	// timeout bounds how long an unanswered append is remembered.
	pub    jetstream.JetStream
	stream jetstream.Stream
	name   string
	// publishErrors counts the appends JetStream refused or did not
	// answer, by kind (Collector).
	publishErrors *prometheus.CounterVec
}

// ackTimeout is how long an append waits for JetStream's acknowledgement
// before it is reported as ErrUnavailable (the append may still happen; a
// retry with the same event id is stored once).
const ackTimeout = 10 * time.Second

// maxPendingAppends bounds the appends awaiting acknowledgement at once;
// beyond it Append waits up to stallWait for room.
const (
	maxPendingAppends = 16384
	stallWait         = 5 * time.Second
)

// Open creates the stream or updates its configuration, idempotently.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventstore: %w", err)
	}
	pub, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(ackTimeout), jetstream.WithPublishAsyncMaxPending(maxPendingAppends))
	if err != nil {
		return nil, fmt.Errorf("eventstore: %w", err)
	}
	if cfg.Name == "" {
		cfg.Name = DefaultStream
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 2 * time.Minute
	}
	sc := jetstream.StreamConfig{
		Name:               cfg.Name,
		Description:        "Plaudit events: the source of truth",
		Subjects:           []string{event.StreamSubjects},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Replicas:           cfg.Replicas,
		Duplicates:         cfg.DuplicateWindow,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		DenyDelete:         true,
		DenyPurge:          true,
	}
	stream, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, classify("open stream "+cfg.Name, err)
	}
	// A stream just created on a cluster has no leader for a moment, and
	// the first append would find no responder.
	if err := bucket.WaitLeader(ctx, js, cfg.Name); err != nil {
		return nil, fmt.Errorf("eventstore: open stream %s: %w", cfg.Name, err)
	}
	return &Store{nc: nc, js: js, pub: pub, stream: stream, name: cfg.Name, publishErrors: newPublishErrors()}, nil
}

// Name is the stream's name.
func (s *Store) Name() string { return s.name }

// JetStream exposes the JetStream context the store uses.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Stream exposes the underlying stream, for consumers.
func (s *Store) Stream() jetstream.Stream { return s.stream }

// Expectation makes an append conditional: it succeeds only while the last
// event matching Filter is at Seq (0: no event matches yet).
type Expectation struct {
	Filter string
	Seq    uint64
}

// Pending is an event ready to append, with its optional expectation.
// Subject, when the caller knows it, saves decoding the event to find it.
type Pending struct {
	Event   event.Envelope
	Subject string
	Expect  *Expectation
	// Header holds headers to add to the message, such as
	// event.InteractionHeader.
	Header map[string]string
}

// Appended is an event as stored.
type Appended struct {
	ID      string
	Subject string
	Seq     uint64
}

func (s *Store) msg(p Pending) (*nats.Msg, error) {
	c, err := s.Check(p)
	if err != nil {
		return nil, err
	}
	return c.msg(), nil
}

// Checked is an event encoded and checked against its JSON Schema by
// Check, ready to append with AppendChecked: a caller that must know
// whether each event of a batch is storable before it appends them checks
// each once. Only Check makes one, so an event appended is checked
// whichever way it came.
type Checked struct {
	p       Pending
	subject string
	body    []byte
}

// Check encodes p and checks it against its type's JSON Schema, as Append
// does: a *schema.Error (errors.Is schema.ErrInvalid) names the field at
// fault.
func (s *Store) Check(p Pending) (Checked, error) {
	subject := p.Subject
	if subject == "" {
		var err error
		if subject, err = p.Event.StreamSubject(); err != nil {
			return Checked{}, fmt.Errorf("eventstore: append %s: %w", p.Event.ID, err)
		}
	}
	b, err := json.Marshal(p.Event)
	if err != nil {
		return Checked{}, fmt.Errorf("eventstore: append %s: %w", p.Event.ID, err)
	}
	// codec.Check is schema.Check with a faster decoder, for the bulk
	// paths; b was just encoded by encoding/json, the input it takes.
	if err := codec.Check(b); err != nil {
		return Checked{}, fmt.Errorf("eventstore: append %s: %w", p.Event.ID, err)
	}
	return Checked{p: p, subject: subject, body: b}, nil
}

// WithExpect returns c appended conditionally on e (nil: unconditionally).
func (c Checked) WithExpect(e *Expectation) Checked {
	c.p.Expect = e
	return c
}

// ID is the checked event's id.
func (c Checked) ID() string { return c.p.Event.ID }

func (c Checked) msg() *nats.Msg {
	p := c.p
	// No Nats-Expected-Stream: streams of one account cannot share
	// subjects, so plaudit.> reaches this stream or none, and the header
	// would only cost the server a check on every append.
	h := make(nats.Header, 4+len(p.Header))
	h[jetstream.MsgIDHeader] = []string{p.Event.ID}
	h["Plaudit-Type"] = []string{p.Event.Type}
	for k, v := range p.Header {
		h[k] = []string{v}
	}
	if e := p.Expect; e != nil {
		h[jetstream.ExpectedLastSubjSeqHeader] = []string{strconv.FormatUint(e.Seq, 10)}
		if e.Filter != c.subject {
			h[jetstream.ExpectedLastSubjSeqSubjHeader] = []string{e.Filter}
		}
	}
	return &nats.Msg{Subject: c.subject, Header: h, Data: c.body}
}

// Append stores one event. An event that breaks its type's JSON Schema is
// refused with a *schema.Error (errors.Is schema.ErrInvalid) naming the
// field, and nothing is stored. With an expectation it is conditional and fails
// with ErrConflict when the aggregate moved on. An id stored before (within
// the duplicate window) fails with a *DuplicateError carrying the original
// sequence: the retry of an append that already succeeded. JetStream checks
// an expectation before the id, so the retry of a conditional append that
// succeeded (and so moved the aggregate) fails with ErrConflict instead; the
// caller reloads the aggregate and finds its event there.
//
// The append has a span, a child of the span in ctx, and the event carries
// that span's context as its traceparent (see traceAppend); without a span
// in ctx, neither.
func (s *Store) Append(ctx context.Context, p Pending) (a Appended, err error) {
	ctx, span := traceAppend(ctx, p.Event, 1)
	defer func() { endAppend(span, a, err) }()
	tracing.Stamp(ctx, &p.Event)
	m, err := s.msg(p)
	if err != nil {
		return Appended{}, err
	}
	ack, err := s.publish(ctx, m)
	if err != nil {
		return Appended{}, s.publishFailed("append "+p.Event.ID, err)
	}
	if ack.Duplicate {
		return Appended{}, &DuplicateError{ID: p.Event.ID, Seq: ack.Sequence}
	}
	return Appended{ID: p.Event.ID, Subject: m.Subject, Seq: ack.Sequence}, nil
}

// publish sends m and waits for its acknowledgement, ctx's end or the ack
// timeout, whichever comes first.
func (s *Store) publish(ctx context.Context, m *nats.Msg) (*jetstream.PubAck, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := s.pub.PublishMsgAsync(m, jetstream.WithStallWait(stallWait))
	if err != nil {
		return nil, err
	}
	select {
	case ack := <-f.Ok():
		return ack, nil
	case err := <-f.Err():
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// AppendBatch stores events atomically: all or none, each with its own
// expectation checked against the stream as it was before the batch. Each
// event is checked against its schema first, as by Append. It fails
// with ErrDuplicate when any id was stored before and with ErrConflict when
// any expectation fails; nothing is stored then. The batch has one span,
// whose context every event carries, as Append's has.
func (s *Store) AppendBatch(ctx context.Context, batch []Pending) (out []Appended, err error) {
	if len(batch) == 0 {
		return nil, nil
	}
	ctx, span := traceAppend(ctx, batch[0].Event, len(batch))
	defer func() {
		var last Appended
		if len(out) > 0 {
			last = out[len(out)-1]
		}
		endAppend(span, last, err)
	}()
	checked := make([]Checked, len(batch))
	for i, p := range batch {
		tracing.Stamp(ctx, &p.Event)
		c, err := s.Check(p)
		if err != nil {
			return nil, err
		}
		checked[i] = c
	}
	return s.AppendChecked(ctx, checked)
}

// AppendChecked is AppendBatch for events Check checked. Check takes no
// ctx: the events carry no trace context, and the append has no span of
// its own. Its caller, the rating batch, appends ratings by the thousand
// in one request; a span and a trace through every projector for each of
// them would make traces of tens of thousands of spans.
func (s *Store) AppendChecked(ctx context.Context, batch []Checked) ([]Appended, error) {
	switch len(batch) {
	case 0:
		return nil, nil
	case 1:
		m := batch[0].msg()
		ack, err := s.publish(ctx, m)
		if err != nil {
			return nil, s.publishFailed("append "+batch[0].ID(), err)
		}
		if ack.Duplicate {
			return nil, &DuplicateError{ID: batch[0].ID(), Seq: ack.Sequence}
		}
		return []Appended{{ID: batch[0].ID(), Subject: m.Subject, Seq: ack.Sequence}}, nil
	}
	batchID := uuid.NewString()
	msgs := make([]*nats.Msg, len(batch))
	for i, c := range batch {
		m := c.msg()
		m.Header.Set("Nats-Batch-Id", batchID)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		msgs[i] = m
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	// The messages before the commit go fire and forget on the same
	// connection, which keeps their order; the server stages them and the
	// commit's acknowledgement (or error) answers for the whole batch.
	for _, m := range msgs[:len(msgs)-1] {
		if err := s.nc.PublishMsg(m); err != nil {
			return nil, s.publishFailed("append batch", err)
		}
	}
	ack, err := s.js.PublishMsg(ctx, last)
	if err != nil {
		return nil, s.publishFailed("append batch", err)
	}
	first := ack.Sequence - uint64(len(batch)) + 1
	out := make([]Appended, len(batch))
	for i, m := range msgs {
		out[i] = Appended{ID: batch[i].ID(), Subject: m.Subject, Seq: first + uint64(i)}
	}
	return out, nil
}

// Recorded is an event as read back from the stream.
type Recorded struct {
	event.Envelope
	Subject string
	Seq     uint64
}

// Last returns the newest event matching filter (which may contain
// wildcards), or ErrNotFound.
func (s *Store) Last(ctx context.Context, filter string) (Recorded, error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, filter)
	if err != nil {
		return Recorded{}, classify("last "+filter, err)
	}
	env, err := event.Parse(raw.Data)
	if err != nil {
		return Recorded{}, fmt.Errorf("eventstore: last %s: sequence %d: %w", filter, raw.Sequence, err)
	}
	return Recorded{Envelope: env, Subject: raw.Subject, Seq: raw.Sequence}, nil
}

// Get returns the event at seq, or ErrNotFound.
func (s *Store) Get(ctx context.Context, seq uint64) (Recorded, error) {
	raw, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return Recorded{}, classify(fmt.Sprintf("get %d", seq), err)
	}
	env, err := event.Parse(raw.Data)
	if err != nil {
		return Recorded{}, fmt.Errorf("eventstore: get %d: %w", seq, err)
	}
	return Recorded{Envelope: env, Subject: raw.Subject, Seq: raw.Sequence}, nil
}

// LastSeq is the sequence of the newest event matching any of filters
// (which may contain wildcards), 0 when none does.
func (s *Store) LastSeq(ctx context.Context, filters ...string) (uint64, error) {
	var last uint64
	for _, f := range filters {
		m, err := s.stream.GetLastMsgForSubject(ctx, f)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, classify("last "+f, err)
		}
		last = max(last, m.Sequence)
	}
	return last, nil
}

// scanFetch is how many messages one pull of Scan asks for.
const scanFetch = 512

// scanIdle is how long the server keeps a scan's consumer that its scan
// failed to delete. Scans are short; left to the default (5 minutes), the
// consumers of frequent scans would pile up to the server's limit.
const scanIdle = 10 * time.Second

// Scan calls fn, in stream order, with every message matching filters whose
// sequence is above after and at most until, undecoded: callers that need
// only the subject or headers skip the JSON. It stops at fn's first error and
// returns it.
func (s *Store) Scan(ctx context.Context, filters []string, after, until uint64, fn func(m jetstream.Msg, seq uint64) error) error {
	// Up to the newest matching event at most: a scan ends on reaching one
	// at or past until, so until must not lie past all of them.
	last, err := s.LastSeq(ctx, filters...)
	if err != nil {
		return err
	}
	return s.scan(ctx, filters, after, min(until, last), fn)
}

// scan is Scan for an until at or before the newest matching message.
func (s *Store) scan(ctx context.Context, filters []string, after, until uint64, fn func(m jetstream.Msg, seq uint64) error) error {
	if until <= after {
		return nil
	}
	// The consumer is deleted when the scan ends; should that fail, the
	// server drops it after scanIdle. Each Fetch makes the ordered
	// consumer anew, and, left to its default, it would try for ever,
	// heedless of ctx: a scan (a command catching up on its aggregate) held
	// its request for half a minute and more while the cluster elected a
	// leader after a node died. One attempt (at most 10 s), then the scan
	// fails as ErrUnavailable, and its caller answers a retry-able 503.
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filters, InactiveThreshold: scanIdle, MaxResetAttempts: 1}
	if after > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = after + 1
	}
	op := "scan " + strings.Join(filters, ",")
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return classify(op, err)
	}
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			_ = s.stream.DeleteConsumer(context.WithoutCancel(ctx), info.Name)
		}
	}()
	// The ordered consumer's own sequence counts what it delivered, one
	// by one from 1 (again from 1 when it was made anew after the last
	// event delivered). Fetch does not check it: a gap (an event lost
	// while the stream changed leader) would let a command decide on its
	// aggregate with an event missing, and a conditional append on the
	// last sequence would not notice. The scan fails instead, and its
	// caller answers a retry-able 503.
	var delivered uint64
	for {
		batch, err := cons.Fetch(scanFetch, jetstream.FetchContext(ctx))
		if err != nil {
			return classify(op, err)
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("eventstore: %s: %w", op, err)
			}
			if c := md.Sequence.Consumer; c != delivered+1 && c != 1 {
				return fmt.Errorf("eventstore: %s: %w: events %d to %d of the scan did not arrive", op, ErrUnavailable, delivered+1, c-1)
			}
			delivered = md.Sequence.Consumer
			if md.Sequence.Stream > until {
				return nil
			}
			if err := fn(m, md.Sequence.Stream); err != nil {
				return err
			}
			if md.Sequence.Stream == until {
				return nil
			}
		}
		if err := batch.Error(); err != nil {
			return classify(op, err)
		}
	}
}

// Load returns the events matching filter with a sequence above after, in
// stream order, and the sequence of the last one (after, when there is none).
// The result is a snapshot: events appended while it loads may be left out,
// which a conditional append on the returned sequence then detects.
func (s *Store) Load(ctx context.Context, filter string, after uint64) ([]Recorded, uint64, error) {
	last, err := s.LastSeq(ctx, filter)
	if err != nil || last <= after {
		return nil, after, err
	}
	var out []Recorded
	err = s.scan(ctx, []string{filter}, after, last, func(m jetstream.Msg, seq uint64) error {
		env, err := event.Parse(m.Data())
		if err != nil {
			return fmt.Errorf("eventstore: load %s: sequence %d: %w", filter, seq, err)
		}
		out = append(out, Recorded{Envelope: env, Subject: m.Subject(), Seq: seq})
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return out, last, nil
}
