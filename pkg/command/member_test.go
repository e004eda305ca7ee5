package command_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/testenv"
)

func upsert(id, name, team, zone string) command.UpsertMember {
	return command.UpsertMember{Tenant: acme, MemberUpserted: event.MemberUpserted{
		Member: id, Name: name, Team: team, TimeZone: zone, Active: true,
	}}
}

func TestUpsertMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	first, err := h.svc.UpsertMember(h.ctx(), upsert("ana", "Ana Lima", "support", "Europe/Lisbon"))
	if err != nil || first.Replayed || len(first.Events) != 1 {
		t.Fatalf("UpsertMember = %+v, %v", first, err)
	}
	if want := event.MemberSubject(acme, "ana", "upserted"); first.Events[0].Subject != want {
		t.Errorf("upserted on %s, want %s", first.Events[0].Subject, want)
	}

	// Steps run in order against the state the earlier ones left.
	steps := []struct {
		name string
		c    command.UpsertMember
		// replayOf is the step whose event a replay returns; -1 for a new
		// event, -2 for the first upsert above.
		replayOf int
	}{
		{name: "unchanged", c: upsert("ana", "Ana Lima", "support", "Europe/Lisbon"), replayOf: -2},
		{name: "unchanged but for spaces", c: upsert("ana", "  Ana Lima ", "support", "Europe/Lisbon"), replayOf: -2},
		{name: "new team", c: upsert("ana", "Ana Lima", "sales", "Europe/Lisbon"), replayOf: -1},
		{name: "new team again", c: upsert("ana", "Ana Lima", "sales", "Europe/Lisbon"), replayOf: 2},
		{name: "back to the old state", c: upsert("ana", "Ana Lima", "support", "Europe/Lisbon"), replayOf: -1},
	}
	events := make([]command.Result, len(steps))
	for i, tt := range steps {
		before := h.msgs()
		res, err := h.svc.UpsertMember(h.ctx(), tt.c)
		if err != nil || len(res.Events) != 1 {
			t.Fatalf("%s: UpsertMember = %+v, %v", tt.name, res, err)
		}
		events[i] = res
		switch tt.replayOf {
		case -1:
			if res.Replayed || h.msgs() != before+1 {
				t.Errorf("%s: %+v, want one new event", tt.name, res)
			}
		default:
			want := first
			if tt.replayOf >= 0 {
				want = events[tt.replayOf]
			}
			if !res.Replayed || res.Events[0] != want.Events[0] {
				t.Errorf("%s: %+v, want a replay of %+v", tt.name, res, want.Events[0])
			}
			if got := h.msgs(); got != before {
				t.Errorf("%s: stream grew from %d to %d", tt.name, before, got)
			}
		}
	}
	if m, ok := h.dir.Member(acme, "ana"); !ok || m.Team != "support" || m.Seq != events[4].Events[0].Seq {
		t.Errorf("directory holds %+v, want the last upsert", m)
	}
}

func TestUpsertMemberValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	tests := []struct {
		name   string
		change func(c *command.UpsertMember)
		field  string
	}{
		{name: "unknown time zone", change: func(c *command.UpsertMember) { c.TimeZone = "Mars/Olympus_Mons" }, field: "time_zone"},
		{name: "offset for a zone", change: func(c *command.UpsertMember) { c.TimeZone = "+01:00" }, field: "time_zone"},
		{name: "Local", change: func(c *command.UpsertMember) { c.TimeZone = "Local" }, field: "time_zone"},
		{name: "no time zone", change: func(c *command.UpsertMember) { c.TimeZone = "" }, field: "time_zone"},
		{name: "bad id", change: func(c *command.UpsertMember) { c.Member = "Ana Lima" }, field: "id"},
		{name: "no name", change: func(c *command.UpsertMember) { c.Name = "   " }, field: "name"},
		{name: "bad team", change: func(c *command.UpsertMember) { c.Team = "" }, field: "team"},
		{name: "own manager", change: func(c *command.UpsertMember) { c.Manager = "ana" }, field: "manager"},
		{name: "bad manager", change: func(c *command.UpsertMember) { c.Manager = "Boss" }, field: "manager"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := upsert("ana", "Ana Lima", "support", "Europe/Lisbon")
			tt.change(&c)
			res, err := h.svc.UpsertMember(h.ctx(), c)
			if err == nil {
				t.Fatalf("UpsertMember = %+v, want a *ValidationError on %s", res, tt.field)
			}
			wantValidation(t, err, tt.field)
		})
	}
	t.Cleanup(func() {
		if n := h.msgs(); n != 0 {
			t.Errorf("stream holds %d events after invalid upserts only", n)
		}
	})
}

// TestImportMembersValidation: a refusal names the member at fault by its
// place in the import, also when the refusal is the event schema's, and
// the stream does not grow.
func TestImportMembersValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.member("ana", "support", "Europe/Lisbon")
	valid := func(id string) event.MemberUpserted {
		return upsert(id, "Member "+id, "support", "Europe/Lisbon").MemberUpserted
	}
	tests := []struct {
		name    string
		members []event.MemberUpserted
		field   string
	}{
		{name: "none", field: "members"},
		{name: "a team that is no id", field: "members[2].team", members: []event.MemberUpserted{valid("bo"), valid("cy"), func() event.MemberUpserted {
			m := valid("dee")
			m.Team = "Sales Team"
			return m
		}()}},
		{name: "a name too long", field: "members[1].name", members: []event.MemberUpserted{valid("bo"), func() event.MemberUpserted {
			m := valid("cy")
			m.Name = strings.Repeat("n", 201)
			return m
		}()}},
		{name: "an id that is none", field: "members[1].id", members: []event.MemberUpserted{valid("bo"), valid("Cy Smith")}},
		{name: "a member twice", field: "members[1].id", members: []event.MemberUpserted{valid("bo"), valid("bo")}},
		{name: "an unknown time zone", field: "members[0].time_zone", members: []event.MemberUpserted{func() event.MemberUpserted {
			m := valid("bo")
			m.TimeZone = "Mars/Olympus_Mons"
			return m
		}()}},
		// ana is unchanged, and so not in the batch: bo is still the
		// second member of the import.
		{name: "after an unchanged member", field: "members[1].team", members: []event.MemberUpserted{valid("ana"), func() event.MemberUpserted {
			m := valid("bo")
			m.Team = ""
			return m
		}()}},
	}
	before := h.msgs()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.svc.ImportMembers(h.ctx(), command.ImportMembers{Tenant: acme, Members: tt.members})
			wantRefusal(t, res, err, tt.field, nil)
			h.wantUnchanged(t, before)
		})
	}
}

func TestRemoveMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.members("Europe/Lisbon", "ana", "ben")

	first, err := h.svc.RemoveMember(h.ctx(), command.RemoveMember{Tenant: acme, Member: "ben", Reason: "left the company"})
	if err != nil || first.Replayed || len(first.Events) != 1 {
		t.Fatalf("RemoveMember = %+v, %v", first, err)
	}
	if want := event.MemberSubject(acme, "ben", "left"); first.Events[0].Subject != want {
		t.Errorf("left on %s, want %s", first.Events[0].Subject, want)
	}
	if got := stored(t, h.store, first.Events[0].ID).(event.MemberLeft); got != (event.MemberLeft{Member: "ben", Reason: "left the company"}) {
		t.Errorf("stored %+v", got)
	}
	before := h.msgs()
	again, err := h.svc.RemoveMember(h.ctx(), command.RemoveMember{Tenant: acme, Member: "ben"})
	if err != nil || !again.Replayed || len(again.Events) != 1 || again.Events[0] != first.Events[0] {
		t.Errorf("second RemoveMember = %+v, %v; want a replay of %+v", again, err, first.Events[0])
	}
	h.wantUnchanged(t, before)

	for _, tt := range []struct{ name, tenant, member string }{
		{name: "unknown member", tenant: acme, member: "zed"},
		{name: "other tenant", tenant: "globex", member: "ana"},
	} {
		_, err := h.svc.RemoveMember(h.ctx(), command.RemoveMember{Tenant: tt.tenant, Member: tt.member})
		wantState(t, err, command.ErrNotFound)
	}
	h.wantUnchanged(t, before)

	// ben can no longer give or receive; brought back, he can.
	_, err = h.svc.GiveKudos(h.ctx(), kudos("ana", 1, "ben"))
	wantValidation(t, err, "to")
	h.member("ben", "support", "Europe/Lisbon")
	h.give(kudos("ana", 1, "ben"))
	h.give(kudos("ben", 1, "ana"))
}

func TestSetPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	p := event.PolicySet{
		Allowance:    event.Allowance{Amount: 10, Period: event.PeriodWeek},
		Values:       []string{"ownership"},
		MessageRules: event.MessageRules{MinLength: 30, RejectGeneric: false},
	}
	first, err := h.svc.SetPolicy(h.ctx(), command.SetPolicy{Tenant: acme, PolicySet: p})
	if err != nil || first.Replayed {
		t.Fatalf("SetPolicy = %+v, %v", first, err)
	}
	again, err := h.svc.SetPolicy(h.ctx(), command.SetPolicy{Tenant: acme, PolicySet: p})
	if err != nil || !again.Replayed || again.Events[0] != first.Events[0] {
		t.Errorf("unchanged SetPolicy = %+v, %v; want a replay", again, err)
	}
	if got := h.dir.Policy(acme); got.Allowance != p.Allowance || got.MessageRules != p.MessageRules {
		t.Errorf("directory holds %+v", got)
	}
	if got := h.dir.Policy("globex"); got.Allowance != event.DefaultPolicy().Allowance {
		t.Errorf("another tenant's policy %+v, want the default", got)
	}

	bad := []struct {
		name   string
		change func(p *event.PolicySet)
		field  string
	}{
		{name: "no allowance", change: func(p *event.PolicySet) { p.Allowance.Amount = 0 }, field: "allowance.amount"},
		{name: "huge allowance", change: func(p *event.PolicySet) { p.Allowance.Amount = command.MaxAllowance + 1 }, field: "allowance.amount"},
		{name: "bad period", change: func(p *event.PolicySet) { p.Allowance.Period = "year" }, field: "allowance.period"},
		{name: "value twice", change: func(p *event.PolicySet) { p.Values = []string{"craft", "craft"} }, field: "values"},
		// The schema names the item at fault.
		{name: "bad value", change: func(p *event.PolicySet) { p.Values = []string{"craft", "Craft"} }, field: "values[1]"},
		{name: "no minimum", change: func(p *event.PolicySet) { p.MessageRules.MinLength = 0 }, field: "message_rules.min_length"},
	}
	before := h.msgs()
	for _, tt := range bad {
		q := p
		tt.change(&q)
		_, err := h.svc.SetPolicy(h.ctx(), command.SetPolicy{Tenant: acme, PolicySet: q})
		if err == nil {
			t.Errorf("%s: SetPolicy accepted %+v", tt.name, q)
			continue
		}
		wantValidation(t, err, tt.field)
	}
	h.wantUnchanged(t, before)
}

// TestDirectoryStartsPastAMalformedEvent: a directory starting on a stream
// whose newest directory message is not an event still gets ready, with
// the members before it.
func TestDirectoryStartsPastAMalformedEvent(t *testing.T) {
	t.Parallel()
	srv := testenv.NATS(t, t.TempDir())
	st := testenv.Store(t, srv)
	first := command.NewDirectory()
	runDirectory(t, first, st)
	h := &harness{t: t, store: st, dir: first, svc: command.NewService(st, first, time.Now), clock: testenv.NewClock(time.Now())}
	h.member("ana", "support", "Europe/Lisbon")
	if _, err := st.JetStream().Publish(h.ctx(), event.MemberSubject(acme, "zed", "upserted"), []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	second := command.NewDirectory()
	runDirectory(t, second, st) // fails the test unless it gets ready and stops cleanly
	if m, ok := second.Member(acme, "ana"); !ok || !m.Active {
		t.Errorf("the second directory has ana = %+v, %v", m, ok)
	}
}

// TestMemberIdentities: a Slack or Teams identity or an e-mail address
// maps to one member; each refusal names its field and appends nothing,
// and an import may move an identity between two members it restates.
func TestMemberIdentities(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	withIDs := func(id, email, slack, teams string) event.MemberUpserted {
		m := upsert(id, "Member "+id, "support", "UTC").MemberUpserted
		m.Email, m.SlackUserID, m.TeamsUserID = email, slack, teams
		return m
	}
	ana := withIDs("ana", " Ana.Lima@Acme.example ", "U0ANA", "6F1C2A4E-8A0B-4C55-9A0E-2B1F3C4D5E6F")
	if _, err := h.svc.UpsertMember(h.ctx(), command.UpsertMember{Tenant: acme, MemberUpserted: ana}); err != nil {
		t.Fatal(err)
	}
	got, ok := h.dir.MemberWhere(acme, func(m command.Member) bool { return m.SlackUserID == "U0ANA" })
	if !ok || got.Member != "ana" || got.Email != "ana.lima@acme.example" || got.TeamsUserID != "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e6f" {
		t.Fatalf("MemberWhere(slack U0ANA) = %+v, %v; want ana, e-mail and Entra id lower-case", got, ok)
	}
	for _, tt := range []struct{ field, email, slack, teams string }{
		{"email", "ana.lima@acme.example", "", ""},
		{"slack_user_id", "", "U0ANA", ""},
		{"teams_user_id", "", "", "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e6f"},
	} {
		before := h.msgs()
		_, err := h.svc.UpsertMember(h.ctx(), command.UpsertMember{Tenant: acme, MemberUpserted: withIDs("bo", tt.email, tt.slack, tt.teams)})
		var ve *command.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !strings.Contains(ve.Reason, `"ana"`) {
			t.Errorf("bo with ana's %s: err = %v, want a refusal naming %s and ana", tt.field, err, tt.field)
		}
		if h.msgs() != before {
			t.Errorf("bo with ana's %s: the stream grew", tt.field)
		}
	}
	_, err := h.svc.ImportMembers(h.ctx(), command.ImportMembers{Tenant: acme, Members: []event.MemberUpserted{
		withIDs("bo", "", "U0BO", ""), withIDs("cy", "", "U0BO", ""),
	}})
	var ve *command.ValidationError
	if !errors.As(err, &ve) || ve.Field != "members[1].slack_user_id" {
		t.Errorf("an import giving two members one Slack id: err = %v, want members[1].slack_user_id", err)
	}
	// ana's Slack id moves to bo in one import that restates both.
	if _, err := h.svc.ImportMembers(h.ctx(), command.ImportMembers{Tenant: acme, Members: []event.MemberUpserted{
		withIDs("ana", "", "", ""), withIDs("bo", "", "U0ANA", ""),
	}}); err != nil {
		t.Fatalf("moving a Slack id in one import: %v", err)
	}
	if got, _ := h.dir.MemberWhere(acme, func(m command.Member) bool { return m.SlackUserID == "U0ANA" }); got.Member != "bo" {
		t.Errorf("U0ANA is %q's after the import, want bo's", got.Member)
	}
}
