package chat

import (
	"context"
	"errors"

	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// Give gives c, whose IDSeed names the person's request (a Slack
// trigger, a Teams activity). When the give fails for want of time or of
// the store (its deadline passed, command.ErrUnavailable), it may have
// been appended all the same: the kudos of its seed is looked up then,
// under a short deadline of its own, and a kudos found is answered as
// given (Replayed). Answering "try again" to a give that was recorded
// would have the person give twice.
func Give(ctx context.Context, cmd *command.Service, c command.GiveKudos) (command.Result, error) {
	res, err := cmd.GiveKudos(ctx, c)
	if err == nil || c.IDSeed == "" || !undecided(ctx, err) {
		return res, err
	}
	lctx, cancel := Detached(ctx)
	defer cancel()
	k, kerr := cmd.Kudos(lctx, c.Tenant, command.EventID(c.IDSeed))
	if kerr != nil {
		return res, err
	}
	subject := event.KudosSubject(c.Tenant, k.Giver, "given")
	return command.Result{Events: []eventstore.Appended{{ID: k.ID, Subject: subject, Seq: k.Seq}}, Replayed: true}, nil
}

// undecided reports whether err leaves open whether the command was
// carried out.
func undecided(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, command.ErrUnavailable)
}

// Detached is a context for the reads an answer still makes once ctx
// (the request's, bounded by the platform's patience) may be done: not
// cancelled with it, and bounded by a short deadline of its own.
func Detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), detachedFor)
}
