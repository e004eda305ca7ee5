package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// interactionFlags defines the flags that name a rated interaction.
func interactionFlags(fs *flag.FlagSet, platform, interaction *string) {
	fs.StringVar(platform, "platform", "", "the contact-centre platform, e.g. cxone")
	fs.StringVar(interaction, "interaction", "", "the platform's interaction id")
}

// ratingFlags defines the flags of a rating, into r; at is the help of
// --at.
func ratingFlags(fs *flag.FlagSet, r *apiv1.RatingRequest, at string) {
	interactionFlags(fs, &r.Platform, &r.InteractionID)
	fs.StringVar(&r.Agent, "agent", "", "the rated agent's member id")
	r.Score = fs.Int("score", 0, "the score on --scale")
	fs.StringVar(&r.Scale, "scale", "stars_5", "stars_5, csat_5 or nps_10")
	fs.StringVar(&r.Comment, "comment", "", "the customer's comment")
	fs.StringVar(&r.Channel, "channel", "voice", "voice, chat, email or other")
	fs.IntVar(&r.HandleTimeSeconds, "handle-time", 0, "the interaction's handle time in seconds")
	fs.StringVar(&r.OccurredAt, "at", "", at)
}

// checkAt refuses an --at that is not an RFC 3339 time.
func checkAt(s *spec, at string) error {
	if _, err := time.Parse(time.RFC3339, at); err != nil {
		return &usageError{spec: s, msg: fmt.Sprintf("--at %q: want an RFC 3339 time such as 2026-11-23T10:15:00Z", at)}
	}
	return nil
}

// ratingName names a rated interaction in what the CLI reports.
func ratingName(platform, interaction string) string {
	return fmt.Sprintf("rating %s %s", platform, interaction)
}

func (c *cli) rate(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return c.rateImport(ctx, args[1:])
	}
	s := &spec{
		name: "rate",
		args: "--platform ID --interaction ID --agent ID --score N [--scale stars_5|csat_5|nps_10] [--comment TEXT] [--channel voice|chat|email|other] [--handle-time SECONDS] [--at RFC3339]",
		about: `Record a customer's rating of an agent's interaction. A platform's interaction
is rated once: recording it again reports the rating already recorded.
"plaudit rate import FILE" records the ratings of a CSV or NDJSON file.`,
	}
	fs := s.flags()
	var b apiv1.RatingRequest
	ratingFlags(fs, &b, "when the interaction happened, RFC 3339 (default now)")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "platform", "interaction", "agent", "score"); err != nil {
		return err
	}
	if b.OccurredAt == "" {
		b.OccurredAt = time.Now().UTC().Format(time.RFC3339)
	} else if err := checkAt(s, b.OccurredAt); err != nil {
		return err
	}
	what := ratingName(b.Platform, b.InteractionID)
	return c.sendReport(ctx, http.MethodPost, "/v1/ratings", b, what+" recorded", what+" was already recorded")
}

func (c *cli) rating(ctx context.Context, args []string) error {
	return c.group(ctx, "rating", `Change a rating a platform recorded:
  correct   replace it with the rating as it now stands
  withdraw  take it back`, args, sub{"correct", (*cli).ratingCorrect}, sub{"withdraw", (*cli).ratingWithdraw})
}

func ratingPath(platform, interaction string) string {
	return "/v1/ratings/" + seg(platform) + "/" + seg(interaction)
}

func (c *cli) ratingCorrect(ctx context.Context, args []string) error {
	s := &spec{
		name: "rating correct",
		args: "--platform ID --interaction ID --agent ID --score N --at RFC3339 [--scale stars_5|csat_5|nps_10] [--comment TEXT] [--channel voice|chat|email|other] [--handle-time SECONDS] [--reason TEXT]",
		about: `Correct a recorded rating: give the whole rating as it now stands. The kudos
the rating earned is retracted if it no longer earns it, and given if it now
does. A withdrawn rating cannot be corrected.`,
	}
	fs := s.flags()
	var r apiv1.RatingRequest
	ratingFlags(fs, &r, "when the interaction happened, RFC 3339")
	reason := fs.String("reason", "", "why the rating changed")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "platform", "interaction", "agent", "score", "at"); err != nil {
		return err
	}
	if err := checkAt(s, r.OccurredAt); err != nil {
		return err
	}
	b := apiv1.CorrectionRequest{Rated: r.Rated, Reason: *reason}
	what := ratingName(r.Platform, r.InteractionID)
	return c.sendReport(ctx, http.MethodPut, ratingPath(r.Platform, r.InteractionID), b, what+" corrected", what+" already stood so")
}

func (c *cli) ratingWithdraw(ctx context.Context, args []string) error {
	s := &spec{
		name:  "rating withdraw",
		args:  "--platform ID --interaction ID [--reason TEXT]",
		about: `Withdraw a recorded rating. The kudos it earned is retracted.`,
	}
	fs := s.flags()
	var platform, interaction string
	interactionFlags(fs, &platform, &interaction)
	reason := fs.String("reason", "", "why it is withdrawn")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "platform", "interaction"); err != nil {
		return err
	}
	what := ratingName(platform, interaction)
	return c.sendReport(ctx, http.MethodDelete, ratingPath(platform, interaction), apiv1.WithdrawalRequest{Reason: *reason},
		what+" withdrawn", what+" was already withdrawn")
}
