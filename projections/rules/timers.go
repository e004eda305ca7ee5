package rules

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Timer settings.
const (
	// PollEvery is how often the timers look for nudges due, in real time.
	PollEvery = time.Second
	// SweepEvery is how often, by the engine's clock, the gap and giving
	// rules look at every member.
	SweepEvery = 15 * time.Minute
	// SweepRetry is how long, in real time, a failed sweep waits to run
	// again.
	SweepRetry = time.Minute
)

// RunTimers implements engine.ProcessManager: it delivers nudges whose quiet hours
// have ended, and sweeps for gap and giving nudges every SweepEvery of the
// engine's clock. Several replicas may run it: every command it sends is
// idempotent.
func (p Projection) RunTimers(ctx context.Context, t projector.Timers) error {
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	var swept, retry time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if p.cmd == nil || p.cmd.svc == nil {
			continue
		}
		now := t.Now()
		if err := p.DeliverDue(ctx, t.Runner, now); err != nil && ctx.Err() == nil {
			t.Logger.Warn("rules: delivering nudges", "err", err)
		}
		if (now.Sub(swept) >= SweepEvery || now.Before(swept)) && !time.Now().Before(retry) {
			start := time.Now()
			err := p.Sweep(ctx, t.Queries, now)
			if m := p.cmd.metrics; m != nil {
				m.sweeps.Observe(time.Since(start).Seconds())
				if err == nil {
					m.swept.Set(float64(now.Unix()))
				}
			}
			if err != nil && ctx.Err() == nil {
				// Another projection may still be catching up: try again
				// in a minute, not at every tick.
				t.Logger.Warn("rules: sweeping for nudges; retrying in a minute", "err", err)
				retry = time.Now().Add(SweepRetry)
				continue
			}
			swept = now
		}
	}
}

type due struct{ tenant, member, id, kind string }

// DeliverDue delivers every nudge due at now, or cancels it (see
// command.DeliverNudge). Each leaves the pending list once the projection
// applies its delivery or cancellation.
func (p Projection) DeliverDue(ctx context.Context, r *projector.Runner, now time.Time) error {
	var list []due
	upper := binary.BigEndian.AppendUint64(nil, uint64(now.UnixMilli())+1)
	err := r.View(func(rd *projector.Reader) error {
		rd.AscendRange(bPending, nil, upper, func(key, _ []byte) bool {
			parts := splitKey(key[8:])
			if len(parts) == 3 {
				list = append(list, due{parts[0], parts[1], parts[2], kindOf(rd, parts[0], parts[2])})
			}
			return true
		})
		return nil
	})
	if err != nil {
		return err
	}
	if m := p.cmd.metrics; m != nil {
		m.pending.Set(float64(len(list)))
	}
	var errs []error
	for _, d := range list {
		// Delivered, or cancelled when its member (or the one it is about)
		// left, no longer wants it, or it expired.
		res, cancelled, err := p.cmd.svc.DeliverNudge(ctx, command.DeliverNudge{Tenant: d.tenant, Member: d.member, NudgeID: d.id})
		p.cmd.metrics.due(d.kind, res, cancelled)
		var se *command.StateError
		if err != nil && !errors.As(err, &se) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// kindOf is the kind of a nudge in the read model, "" when unknown.
func kindOf(rd *projector.Reader, tenant, id string) string {
	key := rd.Get(bNudgeID, projector.Key(tenant, id))
	if key == nil {
		return ""
	}
	var v apiv1.Nudge
	if json.Unmarshal(rd.Get(bNudge, key), &v) != nil {
		return ""
	}
	return v.Kind
}

func splitKey(k []byte) []string {
	var out []string
	start := 0
	for i, c := range k {
		if c == 0 {
			out = append(out, string(k[start:i]))
			start = i + 1
		}
	}
	return append(out, string(k[start:]))
}

func ask(ctx context.Context, queries map[string]projector.QueryFunc, name string, req, resp any) error {
	q := queries[name]
	if q == nil {
		return fmt.Errorf("rules: no %s query in this deployment", name)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	out, err := q(ctx, b)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, resp)
}

// Sweep runs the clock-driven rules over every active member: gap nudges
// to managers, giving nudges to members. A gap nudge's cause is the gap
// itself (the member and their last recognition), so a manager is nudged
// once per gap, and the next recognition ends it; a giving nudge's cause
// is the allowance period.
func (p Projection) Sweep(ctx context.Context, queries map[string]projector.QueryFunc, now time.Time) error {
	svc := p.cmd.svc
	dir := svc.Directory()
	var errs []error
	for _, tenant := range dir.Tenants() {
		policy := dir.Policy(tenant)
		members := dir.Members(tenant)
		if policy.Nudges.Gap != event.Off {
			errs = append(errs, p.sweepGaps(ctx, queries, tenant, policy, members, now))
		}
		if policy.Nudges.Giving != event.Off {
			errs = append(errs, p.sweepGiving(ctx, queries, tenant, policy, members, now))
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	return errors.Join(errs...)
}

func (p Projection) sweepGaps(ctx context.Context, queries map[string]projector.QueryFunc, tenant string, policy event.PolicySet, members []command.Member, now time.Time) error {
	svc := p.cmd.svc
	dir := svc.Directory()
	// Only teams with a member whose manager takes gap nudges are asked.
	wants := map[string]bool{} // manager -> takes gap nudges
	teams := map[string]bool{}
	for _, m := range members {
		if m.Manager == "" || m.Manager == m.Member {
			continue
		}
		w, seen := wants[m.Manager]
		if !seen {
			mgr, ok := dir.Member(tenant, m.Manager)
			prefs, _ := dir.Preferences(tenant, m.Manager)
			w = ok && mgr.Active && command.Wants(policy.Nudges, prefs.Nudges, event.NudgeGap)
			wants[m.Manager] = w
		}
		if w {
			teams[m.Team] = true
		}
	}
	names := make([]string, 0, len(teams))
	for t := range teams {
		names = append(names, t)
	}
	sort.Strings(names)
	var errs []error
	for _, team := range names {
		var gaps apiv1.Gaps
		err := ask(ctx, queries, apiv1.QueryDensityGaps, apiv1.DensityRequest{Tenant: tenant, Team: team, Days: policy.Rules.GapDays}, &gaps)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, g := range gaps.Members {
			m, ok := dir.Member(tenant, g.Member)
			if !ok || !wants[m.Manager] {
				continue
			}
			since := "never"
			if g.LastRecognisedAt != nil {
				since = g.LastRecognisedAt.UTC().Format(time.RFC3339Nano)
			}
			cause := "gap:" + m.Member + ":" + since
			done := tenant + "\x00" + m.Manager + "\x00" + m.Member
			if p.cmd.issuedBefore(done, cause) {
				continue
			}
			name := m.Name
			if name == "" {
				name = m.Member
			}
			out, err := svc.IssueNudge(ctx, command.IssueNudge{
				Tenant: tenant, Member: m.Manager, Kind: event.NudgeGap, Reason: event.ReasonRecognitionGap, About: m.Member,
				Message:  fmt.Sprintf("%s has not been recognised for %d days. Is there something specific to thank them for?", name, g.DaysWithout),
				CauseKey: cause, Life: GapLife,
			})
			p.cmd.metrics.issued(event.NudgeGap, out)
			if err == nil && out.Skipped == "" {
				p.cmd.remember(done, cause)
			}
			if err := transient(err); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (p Projection) sweepGiving(ctx context.Context, queries map[string]projector.QueryFunc, tenant string, policy event.PolicySet, members []command.Member, now time.Time) error {
	svc := p.cmd.svc
	dir := svc.Directory()
	var errs []error
	for _, m := range members {
		prefs, _ := dir.Preferences(tenant, m.Member)
		if !command.Wants(policy.Nudges, prefs.Nudges, event.NudgeGiving) {
			continue
		}
		period := command.PeriodAt(policy.Allowance.Period, now, m.Location())
		length := period.End.Sub(period.Start)
		if length <= 0 || now.Sub(period.Start)*100 < length*time.Duration(policy.Rules.GivingAfterPercent) {
			continue
		}
		done := tenant + "\x00" + m.Member
		if p.cmd.issuedBefore(done, period.Key) {
			continue
		}
		var bal apiv1.Balance
		if err := ask(ctx, queries, apiv1.QueryBalance, apiv1.BalanceRequest{Tenant: tenant, Member: m.Member}, &bal); err != nil {
			var qe *projector.QueryError
			if errors.As(err, &qe) && qe.Status == http.StatusNotFound {
				continue // not in the allowance projection yet
			}
			errs = append(errs, err)
			continue
		}
		if bal.Period != period.Key || bal.Spent > 0 || bal.Remaining <= 0 {
			continue
		}
		out, err := svc.IssueNudge(ctx, command.IssueNudge{
			Tenant: tenant, Member: m.Member, Kind: event.NudgeGiving, Reason: event.ReasonAllowanceLeft,
			Message: fmt.Sprintf("You have %d points to give before %s. Who helped you lately?",
				bal.Remaining, period.End.In(m.Location()).Format("Mon 2 Jan 15:04")),
			CauseKey: "giving:" + period.Key, NotAfter: period.End,
		})
		p.cmd.metrics.issued(event.NudgeGiving, out)
		if err == nil && out.Skipped == "" {
			p.cmd.remember(done, period.Key)
		}
		if err := transient(err); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func queries(r *projector.Runner, _ func() time.Time) map[string]projector.QueryFunc {
	return map[string]projector.QueryFunc{
		apiv1.QueryNudges: projector.Query(r, "a nudges query", func(rd *projector.Reader, req apiv1.NudgesRequest) (apiv1.Nudges, error) {
			if req.Limit < 0 || req.Limit > apiv1.MaxNudges {
				return apiv1.Nudges{}, &projector.QueryError{Status: http.StatusBadRequest, Field: "limit", Detail: fmt.Sprintf("limit must be a number from 1 to %d", apiv1.MaxNudges)}
			}
			return ReadNudges(rd, req.Tenant, req.Member, req.Limit)
		}),
	}
}

// ReadNudges lists up to limit of the member's nudges, newest first.
func ReadNudges(rd *projector.Reader, tenant, member string, limit int) (apiv1.Nudges, error) {
	if limit < 1 {
		limit = 50
	}
	out := apiv1.Nudges{Member: member, Nudges: []apiv1.Nudge{}}
	var err error
	rd.Descend(bNudge, projector.Key(tenant, member, ""), nil, func(_, value []byte) bool {
		var v apiv1.Nudge
		if err = json.Unmarshal(value, &v); err != nil {
			return false
		}
		out.Nudges = append(out.Nudges, v)
		return len(out.Nudges) < limit
	})
	return out, err
}
