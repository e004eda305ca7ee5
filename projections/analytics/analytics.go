// Package analytics is the ClickHouse projector: it writes every event of
// the stream, and typed rows of the frequent ones, into the tables of
// schemas/clickhouse, for engagement analysts' SQL.
//
// It reads the stream with a durable pull consumer of its own, inserts in
// batches (up to BatchEvents events, or what arrived within BatchWait) and
// acknowledges a batch only once ClickHouse has accepted all of it. When
// ClickHouse is unreachable or failing, it retries the batch with capped
// exponential backoff, for as long as it takes, reporting it in metrics and
// /readyz; it never drops or skips a batch, and catches up once ClickHouse
// is back. Tables are keyed by event id (ReplacingMergeTree): a batch
// inserted again after a lost acknowledgement, a redelivery or a full replay
// adds nothing visible.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/plaudit/plaudit/internal/codec"
	chschema "github.com/plaudit/plaudit/schemas/clickhouse"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// Name is the projector's name: its consumer and dead-letter subject.
const Name = "analytics"

// Defaults of Config.
const (
	DefaultBatchEvents = 10_000
	DefaultBatchWait   = 500 * time.Millisecond
	// maxRetryWait caps the backoff between attempts at a batch.
	maxRetryWait = 15 * time.Second
	// ackWait is long: a batch is held, unacknowledged, for as long as
	// ClickHouse is down. A redelivery after it is skipped (by sequence) or
	// merges away (by event id).
	ackWait = 30 * time.Minute
)

// Config configures a Projector.
type Config struct {
	Stream *eventstore.Store
	// DSN is ClickHouse's, clickhouse://host:9000/database?… (clickhouse-go).
	DSN     string
	Replica string
	// FromStart replays the whole stream into ClickHouse whatever it holds
	// (a rebuild); rows inserted again merge away.
	FromStart bool
	// BatchEvents and BatchWait bound a batch (defaults above).
	BatchEvents int
	BatchWait   time.Duration
	Logger      *slog.Logger
	Metrics     *Metrics
	// TracerProvider continues the traces the events carry: a span per
	// traced event, from its batch's start to the insert that took it.
	// Nil: none.
	TracerProvider trace.TracerProvider
}

// Projector writes the stream into ClickHouse. Run runs it.
type Projector struct {
	cfg  Config
	opts *clickhouse.Options
	log  *slog.Logger

	conn driver.Conn

	mu      sync.Mutex
	problem error // why it is not ready; nil when ClickHouse takes batches

	lastSeq  atomic.Uint64 // the newest event inserted
	rowCount atomic.Uint64 // rows inserted since start, every table
	dir      directory
}

// New checks the configuration; Run connects.
func New(cfg Config) (*Projector, error) {
	opts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("analytics: clickhouse-dsn: %w", err)
	}
	if cfg.BatchEvents <= 0 {
		cfg.BatchEvents = DefaultBatchEvents
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = DefaultBatchWait
	}
	if cfg.Replica == "" {
		cfg.Replica = "0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts.DialTimeout = 5 * time.Second
	p := &Projector{cfg: cfg, opts: opts, log: cfg.Logger.With("component", "projector", "projection", Name),
		problem: errors.New("not connected to ClickHouse yet"), dir: directory{}}
	return p, nil
}

// ErrStreamBehind is returned (and reported by Ready) when ClickHouse holds
// events past the end of the stream: the stream is not the one it was
// filled from.
var ErrStreamBehind = errors.New("the event stream ends before what ClickHouse holds")

// ConsumerName is the durable consumer of this replica.
func (p *Projector) ConsumerName() string { return "proj_" + Name + "_" + p.cfg.Replica }

// Ready is nil while ClickHouse takes the projector's batches, else why not.
func (p *Projector) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.problem != nil {
		return fmt.Errorf("analytics: %w", p.problem)
	}
	return nil
}

func (p *Projector) setProblem(err error) {
	p.mu.Lock()
	p.problem = err
	p.mu.Unlock()
	if m := p.cfg.Metrics; m != nil {
		up := 1.0
		if err != nil {
			up = 0
		}
		m.up.Set(up)
	}
}

// Rows is how many rows the projector inserted since it started, in every
// table.
func (p *Projector) Rows() uint64 { return p.rowCount.Load() }

// LastSeq is the stream sequence of the newest event inserted.
func (p *Projector) LastSeq() uint64 { return p.lastSeq.Load() }

// retry runs op until it succeeds or ctx ends, with capped exponential
// backoff, reporting each failure.
func (p *Projector) retry(ctx context.Context, what string, op func() error) error {
	bo := backoff.WithContext(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(200*time.Millisecond),
		backoff.WithMaxInterval(maxRetryWait),
		backoff.WithMaxElapsedTime(0),
	), ctx)
	return backoff.RetryNotify(op, bo, func(err error, wait time.Duration) {
		p.setProblem(fmt.Errorf("%s: %w", what, err))
		p.log.Warn("ClickHouse failing; retrying", "what", what, "err", err, "retry_in", wait)
		if m := p.cfg.Metrics; m != nil {
			m.retries.Inc()
		}
	})
}

// connect opens the connection and applies the migrations, retrying.
func (p *Projector) connect(ctx context.Context) error {
	return p.retry(ctx, "connect and migrate", func() error {
		if err := p.createDatabase(ctx); err != nil {
			return err
		}
		if p.conn == nil {
			conn, err := clickhouse.Open(p.opts)
			if err != nil {
				return err
			}
			p.conn = conn
		}
		applied, err := chschema.Migrate(ctx, p.conn)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			p.log.Info("applied ClickHouse migrations", "versions", applied)
		}
		return nil
	})
}

// createDatabase creates the DSN's database when it is missing.
func (p *Projector) createDatabase(ctx context.Context) error {
	db := p.opts.Auth.Database
	if db == "" || db == "default" {
		return nil
	}
	opts := *p.opts
	opts.Auth.Database = "default"
	conn, err := clickhouse.Open(&opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+strings.ReplaceAll(db, "`", "")+"`")
}

// Run consumes the stream into ClickHouse until ctx ends; it returns nil
// then.
func (p *Projector) Run(ctx context.Context) error {
	defer func() {
		if p.conn != nil {
			_ = p.conn.Close()
		}
	}()
	if err := p.connect(ctx); err != nil {
		return nil // ctx ended
	}
	fromStart := p.cfg.FromStart // until a binding has started from the first event
	return projector.Supervise(ctx, p.log, p.lastSeq.Load, func(ctx context.Context) error {
		return p.run(ctx, &fromStart)
	}, nil)
}

// run consumes with one binding of the consumer, until ctx ends, a batch
// fails for good or the consumption ends (its error). *fromStart binds it
// to start from the first event, and is cleared once it has.
func (p *Projector) run(ctx context.Context, fromStart *bool) error {
	cons, start, next, err := p.consumer(ctx, *fromStart)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return projector.BindError(fmt.Errorf("analytics: %w", err))
	}
	*fromStart = false
	// The directory as of where the consumer resumes, from the stream: a
	// failure to read it (the server away) is tried again with the binding.
	p.dir = directory{}
	if err := p.dir.load(ctx, p.cfg.Stream, start); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return projector.BindError(fmt.Errorf("analytics: directory: %w", err))
	}
	p.lastSeq.Store(start)
	p.setProblem(nil)
	ctx, cancel := context.WithCancel(ctx) // stops the consumption when run returns
	defer cancel()
	batches, why, err := projector.ConsumeBatches(ctx, cons, next, p.cfg.BatchEvents, p.cfg.BatchWait)
	if err != nil {
		return err
	}
	for batch := range batches {
		if err := p.apply(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return why()
}

// consumer binds the durable consumer (projector.Bind), and returns the
// stream sequence it resumes after and the delivery expected first.
// ClickHouse records how far the projector got (plaudit_progress, written
// after each batch): that is the checkpoint, and a consumer past it (the
// database was dropped, restored from an older backup or is new) starts
// again after it. What is inserted twice merges away. fromStart starts from
// the first event (Config.FromStart).
func (p *Projector) consumer(ctx context.Context, fromStart bool) (cons jetstream.Consumer, start, next uint64, err error) {
	var inserted uint64
	if err := p.retry(ctx, "read progress", func() error {
		return p.conn.QueryRow(ctx, "SELECT max(stream_seq) FROM "+progressTable).Scan(&inserted)
	}); err != nil {
		return nil, 0, 0, err
	}
	stream := p.cfg.Stream.Stream()
	// ClickHouse holding events past the stream's end means the stream is
	// not the one they came from (deleted and created again, or restored
	// from an older copy). Resuming would skip the new stream's events as
	// if inserted, and which rows to keep is the analysts' call: refuse,
	// loudly, until the operator empties plaudit_progress (or drops the
	// database) for the projector to fill it from this stream.
	if !fromStart {
		info, err := stream.Info(ctx)
		if err != nil {
			return nil, 0, 0, err
		}
		if info.State.LastSeq < inserted {
			err := fmt.Errorf("%w: ClickHouse holds events up to sequence %d but the stream ends at %d; empty %s (or drop the database) to fill it from this stream",
				ErrStreamBehind, inserted, info.State.LastSeq, progressTable)
			p.setProblem(err)
			p.log.Error("analytics stopped: the stream is not the one ClickHouse was filled from", "clickhouse_seq", inserted, "stream_last_seq", info.State.LastSeq)
			return nil, 0, 0, err
		}
	}
	if fromStart {
		inserted = 0
	}
	return projector.Bind(ctx, stream, projector.Binding{
		Durable:       p.ConsumerName(),
		Description:   "Plaudit ClickHouse analytics",
		AckWait:       ackWait,
		MaxAckPending: 4 * p.cfg.BatchEvents,
		After:         inserted,
	}, p.log)
}

// apply inserts a batch, retrying until ClickHouse takes it, and
// acknowledges it.
func (p *Projector) apply(ctx context.Context, batch []jetstream.Msg) error {
	start := time.Now()
	rows := newRows()
	var traced []tracedEvent
	var pending uint64
	top := p.lastSeq.Load()
	for _, m := range batch {
		md, err := m.Metadata()
		if err != nil {
			continue
		}
		pending = md.NumPending
		if md.Sequence.Stream <= top {
			continue // redelivered: inserted already
		}
		top = md.Sequence.Stream
		env, d, err := codec.Read(m.Data())
		if err == nil {
			if want := d.AggregateSubject(env.Tenant, env.ID); want != m.Subject() {
				err = fmt.Errorf("event: stored on %s but belongs on %s", m.Subject(), want)
			}
		}
		if err != nil {
			seq, reason := md.Sequence.Stream, err
			if err := p.retry(ctx, "dead-letter", func() error {
				return projector.DeadLetter(ctx, p.cfg.Stream.JetStream(), Name, seq, m.Subject(), m.Data(), reason)
			}); err != nil {
				return err // ctx ended
			}
			if mt := p.cfg.Metrics; mt != nil {
				mt.deadLettered.Inc()
			}
			p.log.Warn("dead-lettered an event", "stream_seq", md.Sequence.Stream, "err", err)
			continue
		}
		rows.add(&p.dir, env, d, md.Sequence.Stream, md.Timestamp, m.Data())
		if env.TraceParent != "" {
			traced = append(traced, tracedEvent{env, md.Sequence.Stream})
		}
	}
	if top > p.lastSeq.Load() {
		rows.put(progressTable, top, time.Now().UTC())
		if err := p.retry(ctx, "insert", func() error { return p.insert(ctx, rows) }); err != nil {
			return err // ctx ended
		}
		p.setProblem(nil)
	}
	p.trace(ctx, traced, start)
	if err := batch[len(batch)-1].Ack(); err != nil {
		p.log.Debug("ack failed; the batch will be redelivered and skipped", "err", err)
	}
	p.lastSeq.Store(top)
	for table, n := range rows.counts() {
		if table != progressTable {
			p.rowCount.Add(uint64(n))
		}
	}
	if m := p.cfg.Metrics; m != nil {
		m.lastSeq.Set(float64(top))
		m.lag.Set(float64(pending))
		m.events.Add(float64(rows.events))
		for table, n := range rows.counts() {
			if table != progressTable {
				m.rows.WithLabelValues(table).Add(float64(n))
			}
		}
		m.batchSeconds.Observe(time.Since(start).Seconds())
	}
	return nil
}

// tracedEvent is an event of a batch that carries a trace.
type tracedEvent struct {
	env event.Envelope
	seq uint64
}

// trace records, for each traced event of a batch inserted now, the span of
// its insert into ClickHouse: from the batch's start to now, a child of the
// append that stored it.
func (p *Projector) trace(ctx context.Context, traced []tracedEvent, start time.Time) {
	end := time.Now()
	for _, t := range traced {
		tracing.RecordEvent(ctx, p.cfg.TracerProvider, "analytics insert", t.env, start, end, tracing.AttrStreamSeq.Int64(int64(t.seq)))
	}
}

// insert makes one attempt at inserting rows, timed when it succeeds.
func (p *Projector) insert(ctx context.Context, rows *rows) error {
	start := time.Now()
	if err := rows.insert(ctx, p.conn); err != nil {
		return err
	}
	if m := p.cfg.Metrics; m != nil {
		m.insert.Observe(time.Since(start).Seconds())
	}
	return nil
}

// directory is what the projector knows of members, to put their team on
// the rows: the teams as of the event being inserted.
type directory map[string]map[string]event.MemberUpserted // tenant -> member

func (d directory) team(tenant, member string) string { return d[tenant][member].Team }

func (d directory) observe(tenant string, data event.Data) {
	switch m := data.(type) {
	case event.MemberUpserted:
		if d[tenant] == nil {
			d[tenant] = map[string]event.MemberUpserted{}
		}
		d[tenant][m.Member] = m
	case event.MemberLeft:
		if cur, ok := d[tenant][m.Member]; ok {
			cur.Active = false
			d[tenant][m.Member] = cur
		}
	}
}

// load reads the directory events of the stream up to seq.
func (d directory) load(ctx context.Context, st *eventstore.Store, seq uint64) error {
	if seq == 0 {
		return nil
	}
	return st.Scan(ctx, event.DirectoryFilters, 0, seq, func(m jetstream.Msg, _ uint64) error {
		env, data, err := codec.Read(m.Data())
		if err == nil {
			d.observe(env.Tenant, data)
		}
		return nil // what cannot be read was dead-lettered when it came
	})
}

// tableNames are the tables a batch inserts into, progressTable last.
var tableNames = []string{"kudos_recipients", "kudos_retractions", "reactions", "ratings", "nudges", "events", "members_history", "members"}

// progressTable records how far the projector got (consumer).
const progressTable = "plaudit_progress"

// rows are a batch's rows, table by table.
type rows struct {
	events int
	tables map[string][][]any
}

func newRows() *rows { return &rows{tables: map[string][][]any{}} }

func (r *rows) put(table string, row ...any) { r.tables[table] = append(r.tables[table], row) }

func (r *rows) counts() map[string]int {
	out := map[string]int{}
	for t, rs := range r.tables {
		out[t] = len(rs)
	}
	return out
}

// columns are each table's columns, in the order rows hold them.
var columns = map[string]string{
	"events":            "event_id, tenant, type, subject, stream_seq, time, stored_at, source, data",
	"kudos_recipients":  "event_id, tenant, time, stream_seq, giver, giver_team, recipient, recipient_team, points, company_values, visibility, channel, cause_type, cause_event_id, period, message",
	"kudos_retractions": "event_id, tenant, time, stream_seq, kudos_id, giver, retracted_by, by_role, reason, refunded",
	"reactions":         "event_id, tenant, time, stream_seq, kudos_id, member, emoji",
	"ratings":           "event_id, tenant, time, stream_seq, platform, interaction_id, agent, agent_team, score, scale, comment, channel, handle_time_seconds, occurred_at, status",
	"nudges":            "event_id, tenant, time, stream_seq, nudge_id, kind, member, state, cause_event_id, reason, about",
	"members_history":   "event_id, tenant, member, version, valid_from, name, team, manager, time_zone, active, has_left",
	"members":           "tenant, member, version, valid_from, name, team, manager, time_zone, active, has_left",
	progressTable:       "stream_seq, inserted_at",
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (r *rows) add(dir *directory, env event.Envelope, d event.Data, seq uint64, stored time.Time, raw []byte) {
	t, at := env.Tenant, env.Time.UTC()
	r.events++
	r.put("events", env.ID, t, env.Type, env.Subject, seq, at, stored.UTC(), env.Source, string(env.Data))
	switch v := d.(type) {
	case event.KudosGiven:
		causeType, causeID := "", ""
		if v.Cause != nil {
			causeType, causeID = v.Cause.Type, v.Cause.EventID
		}
		for _, rc := range v.Recipients {
			r.put("kudos_recipients", env.ID, t, at, seq, v.Giver, dir.team(t, v.Giver), rc, dir.team(t, rc),
				uint32(v.Points), nonNil(v.Values), v.Visibility, v.Channel, causeType, causeID, v.Period, v.Message)
		}
	case event.KudosRetracted:
		r.put("kudos_retractions", env.ID, t, at, seq, v.KudosID, v.Giver, v.By, v.ByRole, v.Reason, uint32(max(v.Refunded, 0)))
	case event.ReactionAdded:
		r.put("reactions", env.ID, t, at, seq, v.KudosID, v.Member, v.Emoji)
	case event.RatingReceived:
		r.rating(env.ID, t, at, seq, dir, v, "received")
	case event.RatingCorrected:
		r.rating(env.ID, t, at, seq, dir, v.Rating(), "corrected")
	case event.RatingWithdrawn:
		r.rating(env.ID, t, at, seq, dir, event.RatingReceived{Platform: v.Platform, InteractionID: v.InteractionID, Agent: v.Agent, OccurredAt: at}, "withdrawn")
	case event.NudgeIssued:
		cause := ""
		if v.Cause != nil {
			cause = v.Cause.EventID
		}
		r.put("nudges", env.ID, t, at, seq, env.ID, v.Kind, v.Member, "issued", cause, v.Reason, v.About)
	case event.NudgeDelivered:
		r.put("nudges", env.ID, t, at, seq, v.NudgeID, v.Kind, v.Member, "delivered", "", v.Reason, v.About)
	case event.NudgeAcknowledged:
		r.put("nudges", env.ID, t, at, seq, v.NudgeID, "", v.Member, "acknowledged", "", "", "")
	case event.NudgeDismissed:
		r.put("nudges", env.ID, t, at, seq, v.NudgeID, "", v.Member, "dismissed", "", "", "")
	case event.NudgeCancelled:
		r.put("nudges", env.ID, t, at, seq, v.NudgeID, "", v.Member, "cancelled", "", v.Reason, "")
	case event.MemberUpserted:
		dir.observe(t, d)
		r.member(env.ID, t, seq, at, v, false)
	case event.MemberLeft:
		dir.observe(t, d)
		m := (*dir)[t][v.Member]
		m.Member = v.Member
		r.member(env.ID, t, seq, at, m, true)
	}
}

// rating adds a version of a rating.
func (r *rows) rating(id, t string, at time.Time, seq uint64, dir *directory, v event.RatingReceived, status string) {
	r.put("ratings", id, t, at, seq, v.Platform, v.InteractionID, v.Agent, dir.team(t, v.Agent), uint8(v.Score), v.Scale,
		v.Comment, v.Channel, uint32(max(v.HandleTimeSeconds, 0)), v.OccurredAt.UTC(), status)
}

// member adds a version of member m to both member tables.
func (r *rows) member(id, tenant string, seq uint64, at time.Time, m event.MemberUpserted, left bool) {
	row := []any{tenant, m.Member, seq, at, m.Name, m.Team, m.Manager, m.TimeZone, boolU8(m.Active && !left), boolU8(left)}
	r.put("members_history", append([]any{id}, row...)...)
	r.put("members", row...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// insert sends each table's rows at once, then the batch's progress row:
// the progress is recorded only once the batch is everywhere.
func (r *rows) insert(ctx context.Context, conn driver.Conn) error {
	var wg sync.WaitGroup
	errs := make([]error, len(tableNames))
	for i, table := range tableNames {
		wg.Go(func() { errs[i] = r.insertTable(ctx, conn, table) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return r.insertTable(ctx, conn, progressTable)
}

func (r *rows) insertTable(ctx context.Context, conn driver.Conn, table string) error {
	rs := r.tables[table]
	if len(rs) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns[table]+")")
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	for _, row := range rs {
		if err := b.Append(row...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

// Tables lists the tables the projector writes, for tools and tests.
func Tables() []string { return slices.Clone(tableNames) }
