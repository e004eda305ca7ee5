package main

import (
	"context"
	"net/http"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

func (c *cli) give(ctx context.Context, args []string) error {
	s := &spec{
		name: "give",
		args: "--to ID[,ID…] --message TEXT [--from ID] [--values V[,V…]] [--points N] [--private]",
		about: `Give kudos: recognise one to 20 colleagues for something specific. Each
recipient gets --points points, spent from the giver's allowance.
A member key gives as its member; an admin key names the giver with --from.`,
	}
	fs := s.flags()
	from := fs.String("from", "", "the giver's member id (a member key gives as its own member)")
	to := fs.String("to", "", "the recipients' member ids, comma-separated")
	msg := fs.String("message", "", "what they did and why it mattered")
	values := fs.String("values", "", "the tenant values shown, comma-separated")
	points := fs.Int("points", 1, "points per recipient")
	private := fs.Bool("private", false, "only the giver and the recipients see it")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "to", "message"); err != nil {
		return err
	}
	b := apiv1.GiveRequest{From: *from, To: list(*to), Message: *msg, Values: list(*values), Points: points}
	if len(b.To) == 0 {
		return &usageError{spec: s, msg: "--to names no member"}
	}
	if *private {
		b.Visibility = "private"
	}
	return c.sendCreated(ctx, "/v1/kudos", b, "kudos", "given")
}

func (c *cli) react(ctx context.Context, args []string) error {
	s := &spec{
		name:  "react",
		args:  "KUDOS_ID EMOJI [--from ID]",
		about: "React to kudos with one emoji (🎉) or a :short_code:.",
		pos:   []string{"KUDOS_ID", "EMOJI"},
	}
	from := s.flags().String("from", "", "the reacting member's id (a member key reacts as its own member)")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	return c.sendReport(ctx, http.MethodPost, "/v1/kudos/"+seg(pos[0])+"/reactions", apiv1.ReactRequest{Emoji: pos[1], From: *from},
		"reacted "+pos[1]+" to kudos "+pos[0], "reaction "+pos[1]+" to kudos "+pos[0]+" was already added")
}

func (c *cli) retract(ctx context.Context, args []string) error {
	s := &spec{
		name: "retract",
		args: "KUDOS_ID --reason TEXT [--from ID]",
		about: `Retract kudos. The giver may retract their own kudos (the points return to
their allowance when it is still the same period); an admin may retract any.`,
		pos: []string{"KUDOS_ID"},
	}
	fs := s.flags()
	reason := fs.String("reason", "", "why the kudos is withdrawn")
	from := fs.String("from", "", "the retracting giver's member id (an admin key without it retracts as admin)")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	if err := require(s, "reason"); err != nil {
		return err
	}
	return c.sendReport(ctx, http.MethodDelete, "/v1/kudos/"+seg(pos[0]), apiv1.RetractRequest{Reason: *reason, From: *from},
		"kudos "+pos[0]+" retracted", "kudos "+pos[0]+" was already retracted")
}
