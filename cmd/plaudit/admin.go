package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// sub is a subcommand of a group such as "member".
type sub struct {
	name string
	run  func(c *cli, ctx context.Context, args []string) error
}

// group dispatches "plaudit <group> <sub> …".
func (c *cli) group(ctx context.Context, group, about string, args []string, subs ...sub) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	s := &spec{name: group, args: strings.Join(names, "|") + " …", about: about}
	if len(args) == 0 {
		return &usageError{spec: s, msg: "missing subcommand"}
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		c.printHelp(s)
		return errHelp
	}
	for _, sc := range subs {
		if sc.name == args[0] {
			return sc.run(c, ctx, args[1:])
		}
	}
	return &usageError{spec: s, msg: fmt.Sprintf("unknown subcommand %q", args[0])}
}

func (c *cli) member(ctx context.Context, args []string) error {
	return c.group(ctx, "member", `Manage the tenant's members:
  set  add a member or change one (the member's full state)
  rm   remove a member`, args, sub{"set", (*cli).memberSet}, sub{"rm", (*cli).memberRemove})
}

func (c *cli) memberSet(ctx context.Context, args []string) error {
	s := &spec{
		name: "member set",
		args: "ID --name NAME --team TEAM --tz ZONE [--manager ID] [--inactive]",
		about: `Add a member or replace a member's details. The time zone (an IANA name such
as Europe/Lisbon) decides when the member's allowance periods start.`,
		pos: []string{"ID"},
	}
	fs := s.flags()
	var b apiv1.MemberRequest
	fs.StringVar(&b.Name, "name", "", "the member's display name")
	fs.StringVar(&b.Team, "team", "", "the member's team id")
	fs.StringVar(&b.Manager, "manager", "", "the member's manager's member id")
	fs.StringVar(&b.TimeZone, "tz", "", "the member's IANA time zone, e.g. Europe/Lisbon")
	inactive := fs.Bool("inactive", false, "keep the member but mark them inactive")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	if err := require(s, "name", "team", "tz"); err != nil {
		return err
	}
	active := !*inactive
	b.Active = &active
	return c.sendReport(ctx, http.MethodPut, "/v1/members/"+seg(pos[0]), b,
		"member "+pos[0]+" saved", "member "+pos[0]+" was already up to date")
}

func (c *cli) memberRemove(ctx context.Context, args []string) error {
	s := &spec{
		name:  "member rm",
		args:  "ID [--reason TEXT]",
		about: "Remove a member from the tenant. Their kudos and ratings stay in the stream.",
		pos:   []string{"ID"},
	}
	reason := s.flags().String("reason", "", "why the member left")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	return c.sendReport(ctx, http.MethodDelete, "/v1/members/"+seg(pos[0]), apiv1.RemovalRequest{Reason: *reason},
		"member "+pos[0]+" removed", "member "+pos[0]+" was already removed")
}

func (c *cli) policy(ctx context.Context, args []string) error {
	return c.group(ctx, "policy", `Manage the tenant's policy:
  set  replace the policy`, args, sub{"set", (*cli).policySet})
}

func (c *cli) policySet(ctx context.Context, args []string) error {
	s := &spec{
		name: "policy set",
		args: "--allowance N [--period day|week|month] [--values V[,V…]] [--min-length N] [--allow-generic] [--rules JSON] [--nudges JSON]",
		about: `Replace the tenant's policy: the points each member may give per period, the
values kudos may name (any, when none are listed), the message rules, the rules
engine's thresholds and how nudges reach members. Every setting not given takes
its default; --rules and --nudges are JSON objects read over the defaults, e.g.
--rules '{"rating_kudos":{"stars_5":4},"gap_days":10}'
--nudges '{"gap":"opt_out","daily_cap":2,"quiet_hours":{"start":"21:00","end":"07:30"}}'`,
	}
	fs := s.flags()
	// The CLI sends every setting but rules and nudges: the flags' defaults
	// are the policy's.
	allowance := apiv1.PolicyAllowance{Amount: new(int)}
	msgRules := apiv1.PolicyMessageRules{MinLength: new(int), RejectGeneric: new(bool)}
	b := apiv1.PolicyRequest{Allowance: &allowance, MessageRules: &msgRules}
	fs.IntVar(allowance.Amount, "allowance", 0, "points each member may give per period (required)")
	fs.StringVar(&allowance.Period, "period", "day", "the allowance period: day, week or month")
	values := fs.String("values", "", "the tenant's values, comma-separated")
	fs.IntVar(msgRules.MinLength, "min-length", 20, "the shortest message accepted, in characters")
	allowGeneric := fs.Bool("allow-generic", false, `accept generic praise such as "great job"`)
	rules := fs.String("rules", "", "the rules engine's thresholds, JSON (see schemas/events/policy.tenant_policy_set.v2.json)")
	nudges := fs.String("nudges", "", "nudge offers, daily cap and default quiet hours, JSON")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "allowance"); err != nil {
		return err
	}
	b.Values = list(*values)
	*msgRules.RejectGeneric = !*allowGeneric
	for _, f := range []struct {
		name string
		raw  string
		to   *json.RawMessage
	}{{"rules", *rules, &b.Rules}, {"nudges", *nudges, &b.Nudges}} {
		if f.raw == "" {
			continue
		}
		if !json.Valid([]byte(f.raw)) || !strings.HasPrefix(strings.TrimSpace(f.raw), "{") {
			return &usageError{spec: s, msg: fmt.Sprintf("--%s: want a JSON object, got %q", f.name, f.raw)}
		}
		*f.to = json.RawMessage(f.raw)
	}
	return c.sendReport(ctx, http.MethodPut, "/v1/policy", b, "policy set", "policy unchanged")
}

func (c *cli) boost(ctx context.Context, args []string) error {
	s := &spec{
		name: "boost",
		args: "(--member ID | --team ID) --points N --from DATE --to DATE [--reason TEXT]",
		about: `Grant extra points per allowance period to a member or a whole team, for the
periods starting from --from to --to (dates such as 2026-11-23, inclusive, in
each member's time zone).`,
	}
	fs := s.flags()
	var b apiv1.BoostRequest
	fs.StringVar(&b.Member, "member", "", "the boosted member's id")
	fs.StringVar(&b.Team, "team", "", "the boosted team's id")
	fs.IntVar(&b.Points, "points", 0, "extra points per period")
	fs.StringVar(&b.From, "from", "", "the first date, e.g. 2026-11-23")
	fs.StringVar(&b.To, "to", "", "the last date, e.g. 2026-11-27")
	fs.StringVar(&b.Reason, "reason", "", "why the allowance is boosted")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if (b.Member == "") == (b.Team == "") {
		return &usageError{spec: s, msg: "name exactly one of --member and --team"}
	}
	if err := require(s, "points", "from", "to"); err != nil {
		return err
	}
	return c.sendCreated(ctx, "/v1/boosts", b, "boost", "granted")
}

func (c *cli) keyCmd(ctx context.Context, args []string) error {
	return c.group(ctx, "key", `Manage API keys:
  create  create a key; it is shown once
  list    list the tenant's keys (never their secrets)
  revoke  revoke a key: refused everywhere within seconds`, args,
		sub{"create", (*cli).keyCreate}, sub{"list", (*cli).keyList}, sub{"revoke", (*cli).keyRevoke})
}

func (c *cli) keyList(ctx context.Context, args []string) error {
	s := &spec{name: "key list", about: "List the tenant's API keys: id, role, member, when made and when they expire."}
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	var list apiv1.KeyList
	if done, err := c.readOrPrint(ctx, "/v1/keys", &list); done {
		return err
	}
	fmt.Fprintf(c.stdout, "%-16s %-12s %-16s %-22s %s\n", "ID", "ROLE", "MEMBER", "CREATED", "EXPIRES")
	for _, k := range list.Keys {
		member, expires := k.Member, "never"
		if member == "" {
			member = "-"
		}
		// As the server wrote them.
		if k.ExpiresAt != nil {
			expires = k.ExpiresAt.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(c.stdout, "%-16s %-12s %-16s %-22s %s\n", k.KeyID, k.Role, member, k.CreatedAt.Format(time.RFC3339Nano), expires)
	}
	return nil
}

func (c *cli) keyRevoke(ctx context.Context, args []string) error {
	s := &spec{name: "key revoke", args: "ID", about: "Revoke an API key of the tenant; it stops working on every replica within seconds.", pos: []string{"ID"}}
	return c.revoke(ctx, s, args, "/v1/keys/", "key")
}

// revoke deletes the thing the command's one argument names, under path,
// and says so; with --json it prints the server's answer, the thing as it
// was.
func (c *cli) revoke(ctx context.Context, s *spec, args []string, path, what string) error {
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	raw, err := c.sendRaw(ctx, http.MethodDelete, path+seg(pos[0]), nil)
	if err != nil {
		return err
	}
	if c.json {
		c.printRaw(raw)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s %s revoked\n", what, pos[0])
	return nil
}

func (c *cli) keyCreate(ctx context.Context, args []string) error {
	s := &spec{
		name: "key create",
		args: "--role ROLE [--member ID] [--expires RFC3339]",
		about: `Create an API key in the caller's tenant and print it. The key is shown only
this once; plauditd stores only its hash.
Roles: admin, integration, member, manager, analyst, publisher. A member or
manager key acts as its --member.`,
	}
	fs := s.flags()
	var b apiv1.KeyRequest
	fs.StringVar(&b.Role, "role", "", "the key's role")
	fs.StringVar(&b.Member, "member", "", "the member the key acts as")
	fs.StringVar(&b.ExpiresAt, "expires", "", "when the key stops working, e.g. 2027-01-31T00:00:00Z")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "role"); err != nil {
		return err
	}
	raw, err := c.sendRaw(ctx, http.MethodPost, "/v1/keys", b)
	if err != nil {
		return err
	}
	if c.json {
		c.printRaw(raw)
		return nil
	}
	var k apiv1.CreatedKey
	if err := jsonUnmarshal(raw, &k); err != nil {
		return err
	}
	if k.Key == "" {
		// A retry answered from the idempotency store: no secret is kept.
		return fmt.Errorf("key %s was created by an earlier attempt and shown then; create another", k.ID)
	}
	// The key alone on stdout, so that KEY=$(plaudit key create …) works.
	fmt.Fprintln(c.stdout, k.Key)
	who := ""
	if k.Member != "" {
		who = ", member " + k.Member
	}
	fmt.Fprintf(c.stderr, "note: key %s (tenant %s, role %s%s) is shown only this once; store it now.\n", k.ID, k.Tenant, k.Role, who)
	return nil
}
