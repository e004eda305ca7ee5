// Package rules is Plaudit's rules engine, a process manager: it reads
// events and emits new ones through the same command path as everyone
// else, with event ids derived from the event that caused them, so that a
// redelivery or a replay of the whole stream emits nothing new.
//
// Its rules:
//
//   - Ratings become recognition: a rating at or above the tenant's
//     threshold for its scale (rules.rating_kudos; 5 of 5 stars, 9+ on NPS,
//     5 of 5 on CSAT by default) becomes kudos to the agent from the
//     customer identity of the platform (command.RecognizeRating), within
//     milliseconds. A correction that no longer qualifies, or a withdrawal,
//     retracts that kudos; a correction that now qualifies gives it. Low
//     ratings never produce anything public.
//   - Wellness nudges to an agent after a long interaction, a low-rated
//     one, or a run of interactions without a break (rules.wellness).
//   - Gap nudges to a manager when a member of their team enters the
//     recognition gap as the density projection defines it, once per gap.
//   - Giving nudges to a member who has allowance left late in the period
//     and has given nothing.
//
// Each command it sends for an event has a span, a child of the event's
// apply, and what the command appends carries it: the kudos a rating
// earns, and a nudge, are in the rating's trace.
//
// Every nudge goes through command.IssueNudge, which applies the policy's
// offer and the member's choices, the daily cap and quiet hours. Nudges
// due in quiet hours are delivered by the engine's timers when they end.
//
// What the rules decide from events (thresholds, runs of interactions)
// follows the stream: the policy in force is the last one before the
// event, kept in the store, so a replay decides as the live run did.
package rules

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
	"github.com/plaudit/plaudit/pkg/tracing"
)

// Name is the projection's name, its store and its consumer.
const Name = "rules"

// commandTimeout bounds one command the rules engine sends.
const commandTimeout = 10 * time.Second

// Freshness bounds how old a rating may be, at the engine's clock, for a
// wellness nudge: one about a call hours ago helps nobody, and a replay of
// old ratings must not nudge anyone.
const (
	WellnessFreshness = time.Hour
	// InteractionFreshness bounds how long ago the interaction may have
	// ended.
	InteractionFreshness = 4 * time.Hour
	// WellnessLife is how long after it is due a wellness nudge is still
	// delivered; a gap nudge lasts GapLife, a giving nudge to the end of
	// its allowance period.
	WellnessLife = 4 * time.Hour
	GapLife      = 24 * time.Hour
)

// Store buckets.
var (
	bPolicy  = []byte("policy")  // tenant -> PolicySet JSON, as of the last event applied
	bRating  = []byte("rating")  // tenant, platform, interaction key -> ratingState JSON
	bRun     = []byte("run")     // tenant, agent -> runState JSON
	bPending = []byte("pending") // deliver-at ms (8 bytes), tenant, member, nudge id -> ""
	bNudge   = []byte("nudge")   // tenant, member, "", issued seq (8 bytes) -> apiv1.Nudge JSON
	bNudgeID = []byte("nudgeid") // tenant, nudge id -> its bNudge key
)

// Projection is the rules engine. It needs the command service
// (UseCommands) before it applies anything.
type Projection struct {
	projector.Meta
	cmd *commands
}

type commands struct {
	svc     *command.Service
	metrics *metrics

	// issued remembers, per member (and, for gap nudges, the member it
	// is about), the cause of the last nudge the sweeps issued or found
	// issued, so that a sweep does not ask again every 15 minutes for a
	// gap that goes on or a period already nudged. Bounded by members.
	mu     sync.Mutex
	issued map[string]string
}

func (c *commands) issuedBefore(key, cause string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued[key] == cause
}

func (c *commands) remember(key, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.issued == nil {
		c.issued = map[string]string{}
	}
	c.issued[key] = cause
}

// Module is the rules engine for the engine, with the nudges query.
func Module() projector.Module {
	p := Projection{
		Meta: projector.NewMeta(Name, 2, "plaudit.*.rating.>", "plaudit.*.policy.>", "plaudit.*.nudge.>"),
		cmd:  &commands{},
	}
	return projector.Module{Projection: p, Queries: queries}
}

// UseCommands hands the projection the service its events go through.
func (p Projection) UseCommands(s *command.Service) { p.cmd.svc = s }

// UseMetrics registers the projection's own metrics.
func (p Projection) UseMetrics(reg prometheus.Registerer) { p.cmd.metrics = newMetrics(reg) }

// Reset implements projector.Resetter: what the sweeps remember issuing
// was found in a store the runtime emptied.
func (p Projection) Reset() {
	if p.cmd != nil {
		p.cmd.mu.Lock()
		p.cmd.issued = nil
		p.cmd.mu.Unlock()
	}
}

// Apply implements projector.Projection.
func (p Projection) Apply(ctx context.Context, tx *projector.Tx, ev projector.Event) error {
	switch d := ev.Data.(type) {
	case event.PolicySet:
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.Put(bPolicy, projector.Key(ev.Tenant), b)
	case event.RatingReceived, event.RatingCorrected, event.RatingWithdrawn:
		if p.cmd == nil || p.cmd.svc == nil {
			return projector.Transient(errors.New("rules: no command service"))
		}
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		return p.rating(ctx, tx, ev)
	case event.NudgeIssued, event.NudgeDelivered, event.NudgeAcknowledged, event.NudgeDismissed, event.NudgeCancelled:
		return applyNudge(tx, ev)
	}
	return nil
}

// policyAt is the tenant's policy as of the event being applied.
func policyAt(tx *projector.Tx, tenant string) (event.PolicySet, error) {
	p := event.DefaultPolicy()
	if _, err := getJSON(tx, bPolicy, projector.Key(tenant), &p); err != nil {
		return event.PolicySet{}, err
	}
	return p, nil
}

// ratingState is what the rules engine did about one rated interaction.
type ratingState struct {
	Agent string `json:"agent"`
	// KudosID is the kudos the rating earned and still holds, if any.
	KudosID string `json:"kudos_id,omitempty"`
}

func getJSON(tx *projector.Tx, bucket, key []byte, v any) (bool, error) {
	raw := tx.Get(bucket, key)
	if err := tx.Err(); err != nil {
		return false, err
	}
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func putJSON(tx *projector.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, key, b)
}

// transient marks a command's failure to be retried with the batch; a
// refusal the rule cannot act on gives nothing.
func transient(err error) error {
	var ve *command.ValidationError
	if err == nil || errors.As(err, &ve) {
		return nil
	}
	return projector.Transient(err)
}

func (p Projection) rating(ctx context.Context, tx *projector.Tx, ev projector.Event) error {
	svc := p.cmd.svc
	policy, err := policyAt(tx, ev.Tenant)
	if err != nil {
		return err
	}
	var r event.RatingReceived
	withdrawn := false
	switch d := ev.Data.(type) {
	case event.RatingReceived:
		r = d
	case event.RatingCorrected:
		r = d.Rating()
	case event.RatingWithdrawn:
		r = event.RatingReceived{Platform: d.Platform, InteractionID: d.InteractionID, Agent: d.Agent}
		withdrawn = true
	}
	key := projector.Key(ev.Tenant, r.Platform, event.InteractionKey(r.InteractionID))
	var st ratingState
	if _, err := getJSON(tx, bRating, key, &st); err != nil {
		return err
	}
	threshold := policy.Rules.RatingKudos
	qualifies := !withdrawn && command.Qualifies(r, threshold)
	// The kudos held stays while the rating still earns it for the same
	// agent; otherwise it is taken back. A rebuild replays what the live
	// store it replaces did: it reads the outcome instead of acting.
	if ev.Replay {
		if st.KudosID != "" && (!qualifies || st.Agent != r.Agent) {
			st.KudosID = ""
		}
		if qualifies && st.KudosID == "" {
			id, held, err := svc.RatingKudosHeld(ctx, ev.Tenant, ev.ID)
			if err != nil {
				return projector.Transient(err)
			}
			if held {
				st.KudosID = id
			}
		}
	} else if st.KudosID != "" {
		// A kudos an admin retracted meanwhile is held no more.
		live, err := svc.KudosLive(ctx, ev.Tenant, st.KudosID)
		if err != nil {
			return projector.Transient(err)
		}
		if !live {
			st.KudosID = ""
		}
	}
	if !ev.Replay && st.KudosID != "" && (!qualifies || st.Agent != r.Agent) {
		reason := "The customer withdrew their rating."
		if !withdrawn {
			reason = "The customer's rating was corrected."
		}
		cctx, span := tracing.Child(ctx, "command rating_kudos.retract")
		res, err := svc.RetractRatingKudos(cctx, command.RetractRatingKudos{
			Tenant: ev.Tenant, KudosID: st.KudosID, Platform: r.Platform, Reason: reason,
		})
		tracing.End(span, err)
		if err := transient(err); err != nil {
			return err
		}
		p.cmd.metrics.ratingKudos("retracted", res)
		st.KudosID = ""
	}
	if qualifies && st.KudosID == "" && !ev.Replay {
		cctx, span := tracing.Child(ctx, "command rating_kudos.give")
		res, err := svc.RecognizeRating(cctx, command.RecognizeRating{
			Tenant: ev.Tenant, RatingID: ev.ID, CauseType: ev.Type, Threshold: &threshold, Time: ev.Time, RatingReceived: r,
		})
		tracing.End(span, err)
		if err := transient(err); err != nil {
			return err
		}
		if len(res.Events) > 0 {
			st.KudosID = res.Events[0].ID
		}
		p.cmd.metrics.ratingKudos("given", res)
	}
	st.Agent = r.Agent
	if err := putJSON(tx, bRating, key, st); err != nil {
		return err
	}
	if _, received := ev.Data.(event.RatingReceived); received {
		return p.wellness(ctx, tx, ev, r, policy)
	}
	return nil
}

// runState is an agent's current run of interactions without a break.
type runState struct {
	Start time.Time `json:"start"` // when the run's first interaction began
	End   time.Time `json:"end"`   // when its latest ended
	Count int       `json:"count"`
}

// wellness follows the agent's run of interactions and nudges them after
// a low-rated interaction, a long one, or a long run without a break: at
// most one wellness nudge per rating, the first that applies in that order.
func (p Projection) wellness(ctx context.Context, tx *projector.Tx, ev projector.Event, r event.RatingReceived, policy event.PolicySet) error {
	w := policy.Rules.Wellness
	key := projector.Key(ev.Tenant, r.Agent)
	var run runState
	if _, err := getJSON(tx, bRun, key, &run); err != nil {
		return err
	}
	began := r.OccurredAt.Add(-time.Duration(r.HandleTimeSeconds) * time.Second)
	switch {
	case run.Count > 0 && began.Sub(run.End) < time.Duration(w.BreakMinutes)*time.Minute && !r.OccurredAt.Before(run.Start):
		run.Count++
		if r.OccurredAt.After(run.End) {
			run.End = r.OccurredAt
		}
	case run.Count > 0 && r.OccurredAt.Before(run.Start):
		// A late rating of an interaction before the run: not part of it.
	default:
		run = runState{Start: began, End: r.OccurredAt, Count: 1}
	}
	if err := putJSON(tx, bRun, key, run); err != nil {
		return err
	}
	now := p.cmd.svc.Now()
	if ev.Replay || now.Sub(ev.Time) > WellnessFreshness || now.Sub(r.OccurredAt) > InteractionFreshness {
		return nil
	}
	cause := &event.Cause{EventID: ev.ID, Type: ev.Type}
	nudge := command.IssueNudge{Tenant: ev.Tenant, Member: r.Agent, Kind: event.NudgeWellness, Cause: cause, CauseKey: "rating:" + ev.ID,
		Life: WellnessLife}
	low, _ := w.LowRating.Of(r.Scale)
	minutes := r.HandleTimeSeconds / 60
	switch {
	case r.Score <= low:
		nudge.Reason = event.ReasonLowRating
		nudge.Message = fmt.Sprintf("That last %s sounded like a hard one. Take a moment for yourself before the next; it was not about you.", command.InteractionWord(r.Channel))
	case minutes >= w.LongInteractionMinutes:
		nudge.Reason = event.ReasonLongInteraction
		nudge.Message = fmt.Sprintf("That was a long %s (%d minutes). Take a few minutes before the next one.", command.InteractionWord(r.Channel), minutes)
	case run.Count >= w.RunLength:
		nudge.Reason = event.ReasonNoBreak
		nudge.Message = fmt.Sprintf("You have handled %d conversations in a row without a break. Time for a pause?", run.Count)
		nudge.CauseKey = "run:" + run.Start.UTC().Format(time.RFC3339Nano) // once per run
	default:
		return nil
	}
	cctx, span := tracing.Child(ctx, "command nudge.issue")
	out, err := p.cmd.svc.IssueNudge(cctx, nudge)
	tracing.End(span, err)
	p.cmd.metrics.issued(nudge.Kind, out)
	return transient(err)
}

// Nudge states: the State of an apiv1.Nudge.
const (
	StatePending      = "pending" // issued, due at deliver_at
	StateDelivered    = "delivered"
	StateAcknowledged = "acknowledged"
	StateDismissed    = "dismissed"
	StateCancelled    = "cancelled" // issued, then not delivered: see CancelReason
)

func pendingKey(at time.Time, tenant, member, id string) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli()))
	return append(k, projector.Key(tenant, member, id)...)
}

// applyNudge follows a nudge's lifecycle in the read model.
func applyNudge(tx *projector.Tx, ev projector.Event) error {
	if d, ok := ev.Data.(event.NudgeIssued); ok {
		idKey := projector.Key(ev.Tenant, ev.ID)
		if tx.Get(bNudgeID, idKey) != nil {
			return tx.Err()
		}
		key := binary.BigEndian.AppendUint64(projector.Key(ev.Tenant, d.Member, ""), ev.Seq)
		v := apiv1.Nudge{ID: ev.ID, Member: d.Member, Kind: d.Kind, Reason: d.Reason, Message: d.Message, About: d.About,
			Cause: d.Cause, State: StatePending, IssuedAt: ev.Time, DeliverAt: d.DeliverAt, ExpiresAt: d.ExpiresAt}
		if err := putJSON(tx, bNudge, key, v); err != nil {
			return err
		}
		if err := tx.Put(bNudgeID, idKey, key); err != nil {
			return err
		}
		return tx.Put(bPending, pendingKey(d.DeliverAt, ev.Tenant, d.Member, ev.ID), []byte{})
	}
	var id, state, why string
	switch d := ev.Data.(type) {
	case event.NudgeDelivered:
		id, state = d.NudgeID, StateDelivered
	case event.NudgeCancelled:
		id, state, why = d.NudgeID, StateCancelled, d.Reason
	case event.NudgeAcknowledged:
		id, state = d.NudgeID, StateAcknowledged
	case event.NudgeDismissed:
		id, state = d.NudgeID, StateDismissed
	}
	key := tx.Get(bNudgeID, projector.Key(ev.Tenant, id))
	if err := tx.Err(); err != nil || key == nil {
		return err // a nudge event without its issue: nothing to follow
	}
	key = append([]byte(nil), key...)
	var v apiv1.Nudge
	if _, err := getJSON(tx, bNudge, key, &v); err != nil {
		return err
	}
	at := ev.Time
	switch state {
	case StateDelivered, StateCancelled:
		if v.DeliveredAt != nil || v.State == StateCancelled {
			return nil
		}
		if state == StateDelivered {
			v.DeliveredAt = &at
		} else {
			v.SettledAt, v.CancelReason = &at, why
		}
		if v.State == StatePending {
			v.State = state
		}
		if err := tx.Delete(bPending, pendingKey(v.DeliverAt, ev.Tenant, v.Member, v.ID)); err != nil {
			return err
		}
	default:
		if v.SettledAt != nil {
			return nil
		}
		v.SettledAt, v.State = &at, state
	}
	return putJSON(tx, bNudge, key, v)
}
