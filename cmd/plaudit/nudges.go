package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

func (c *cli) prefs(ctx context.Context, args []string) error {
	s := &spec{
		name: "prefs",
		args: "MEMBER [--wellness on|off] [--gap on|off] [--giving on|off] [--quiet HH:MM-HH:MM] [--reset]",
		about: `Show a member's nudge preferences as they apply now (no other flags), or set
all of them: a kind left out follows the tenant's policy (on for opt_out kinds,
off for opt_in ones, never for off), as do quiet hours left out; --reset sets
none. Nudges due in quiet hours (the member's time zone) are delivered when
they end. A member's key reads and sets its own member's only.`,
		pos: []string{"MEMBER"},
	}
	fs := s.flags()
	var b apiv1.PreferencesRequest
	for _, k := range []struct {
		name   string
		choice *string
	}{{"wellness", &b.Nudges.Wellness}, {"gap", &b.Nudges.Gap}, {"giving", &b.Nudges.Giving}} {
		fs.StringVar(k.choice, k.name, "", "on or off: "+k.name+" nudges (default: as the policy offers them)")
	}
	quiet := fs.String("quiet", "", "quiet hours, e.g. 21:30-07:00 (default: the tenant's)")
	reset := fs.Bool("reset", false, "set no preference: everything as the tenant's policy says")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	set := 0
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "json" && f.Name != "idempotency-key" {
			set++
		}
	})
	if set == 0 {
		return c.showPrefs(ctx, pos[0])
	}
	if *quiet != "" {
		start, end, ok := strings.Cut(*quiet, "-")
		if !ok {
			return &usageError{spec: s, msg: fmt.Sprintf("--quiet %q: want START-END such as 21:30-07:00", *quiet)}
		}
		b.QuietHours = &event.QuietHours{Start: start, End: end}
	}
	if *reset && (b.Nudges != (event.NudgeChoices{}) || b.QuietHours != nil) {
		return &usageError{spec: s, msg: "--reset sets no preference: give it alone"}
	}
	return c.sendReport(ctx, http.MethodPut, "/v1/members/"+seg(pos[0])+"/preferences", b,
		"preferences of "+pos[0]+" set", "preferences of "+pos[0]+" unchanged")
}

func (c *cli) showPrefs(ctx context.Context, member string) error {
	var p apiv1.Preferences
	if done, err := c.readOrPrint(ctx, "/v1/members/"+seg(member)+"/preferences", &p); done {
		return err
	}
	for _, kind := range []string{"wellness", "gap", "giving"} {
		k := p.Nudges[kind]
		why := k.Offer
		if k.Choice != "" {
			why += ", chose " + k.Choice
		}
		state := "off"
		if k.Receives {
			state = "on"
		}
		fmt.Fprintf(c.stdout, "%s: %s (%s)\n", kind, state, why)
	}
	fmt.Fprintf(c.stdout, "quiet hours: %s-%s %s (%s's)\ndaily cap: %d\n", p.QuietHours.Start, p.QuietHours.End, p.TimeZone, p.QuietHoursFrom, p.DailyCap)
	return nil
}

func (c *cli) nudges(ctx context.Context, args []string) error {
	s := &spec{
		name: "nudges",
		args: "MEMBER [--limit N]",
		about: `List a member's nudges, newest first, with their state: pending (waiting for
the member's quiet hours to end), delivered, acknowledged, dismissed, or
cancelled and why (the member left, turned the kind off, or it expired). For
the member, and integration and admin keys acting for them.`,
		pos: []string{"MEMBER"},
	}
	limit := s.flags().Int("limit", 20, "how many, 1 to 200")
	pos, err := c.parseRead(s, args)
	if err != nil {
		return err
	}
	var l apiv1.Nudges
	if done, err := c.readOrPrint(ctx, "/v1/members/"+seg(pos[0])+"/nudges?limit="+strconv.Itoa(*limit), &l); done {
		return err
	}
	if len(l.Nudges) == 0 {
		fmt.Fprintf(c.stderr, "note: no nudges for %s\n", pos[0])
		return nil
	}
	for _, n := range l.Nudges {
		when := "issued " + n.IssuedAt.Format(time.RFC3339)
		switch n.State {
		case "pending":
			when += ", due " + n.DeliverAt.Format(time.RFC3339)
		case "cancelled":
			when += ", " + n.CancelReason
		}
		fmt.Fprintf(c.stdout, "%s %s/%s %s (%s): %s\n", n.ID, n.Kind, n.Reason, n.State, when, quote(n.Message))
	}
	return nil
}

func (c *cli) nudge(ctx context.Context, args []string) error {
	return c.group(ctx, "nudge", `Answer a delivered nudge:
  ack      acknowledge it: the member acted on it
  dismiss  dismiss it`, args, sub{"ack", nudgeSettle("ack")}, sub{"dismiss", nudgeSettle("dismiss")})
}

func nudgeSettle(verb string) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		s := &spec{
			name:  "nudge " + verb,
			args:  "ID [--member ID]",
			about: "Settle a nudge, once. A member's key acts as its member; others name --member.",
			pos:   []string{"ID"},
		}
		member := s.flags().String("member", "", "the member nudged (for integration and admin keys)")
		pos, err := c.parseWrite(s, args)
		if err != nil {
			return err
		}
		done := map[string]string{"ack": "acknowledged", "dismiss": "dismissed"}[verb]
		return c.sendReport(ctx, http.MethodPost, "/v1/nudges/"+seg(pos[0])+"/"+verb, apiv1.SettleRequest{Member: *member},
			"nudge "+pos[0]+" "+done, "nudge "+pos[0]+" was already "+done)
	}
}
