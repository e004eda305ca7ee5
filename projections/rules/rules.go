// Package rules is Plaudit's rules engine, a process manager: it reads
// events and emits new ones through the same command path as everyone
// else, with event ids derived from the event that caused them, so that a
// redelivery or a replay of the whole stream emits nothing new.
//
// Its first rule turns customer praise into recognition: a rating at or
// above its scale's threshold (5 of 5 stars, 9+ on NPS, 5 of 5 on CSAT)
// becomes kudos to the agent from the customer identity of the platform
// (command.RecognizeRating), within milliseconds of the rating. Low ratings
// never produce anything public.
package rules

import (
	"context"
	"errors"
	"time"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/projector"
)

// Name is the projection's name, its store and its consumer.
const Name = "rules"

// commandTimeout bounds one command the rules engine sends.
const commandTimeout = 10 * time.Second

// Projection is the rules engine. It needs the command service
// (UseCommands) before it applies anything.
type Projection struct{ cmd *commands }

type commands struct{ svc *command.Service }

// Module is the rules engine for the engine; it keeps no read model and
// answers no queries.
func Module() projector.Module {
	return projector.Module{Projection: Projection{cmd: &commands{}}}
}

// UseCommands hands the projection the service its events go through.
func (p Projection) UseCommands(s *command.Service) { p.cmd.svc = s }

// Name implements projector.Projection.
func (Projection) Name() string { return Name }

// Filters implements projector.Projection.
func (Projection) Filters() []string { return []string{"plaudit.*.rating.>"} }

// Apply implements projector.Projection.
func (p Projection) Apply(_ *projector.Tx, ev projector.Event) error {
	d, ok := ev.Data.(event.RatingReceived)
	if !ok {
		return nil
	}
	if p.cmd == nil || p.cmd.svc == nil {
		return projector.Transient(errors.New("rules: no command service"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	_, err := p.cmd.svc.RecognizeRating(ctx, command.RecognizeRating{Tenant: ev.Tenant, RatingID: ev.ID, RatingReceived: d})
	var ve *command.ValidationError
	if errors.As(err, &ve) {
		return nil // a rating the rule cannot act on gives nothing
	}
	if err != nil {
		return projector.Transient(err) // the batch is applied again; the kudos is given once
	}
	return nil
}
