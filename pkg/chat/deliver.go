package chat

import (
	"context"
	"errors"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// Deliverable reports whether a relay of an integration may deliver the
// event env (decoded: d) of tenant: whether an integration may see it
// (package visibility, as every integration views), and, for a kudos,
// whether it is still live (not retracted before its turn came). An
// error is a lookup that failed: the caller retries, for "not visible"
// would pass the event over for good.
func Deliverable(ctx context.Context, cmd *command.Service, tenant string, env event.Envelope, d event.Data) (bool, error) {
	var lookupErr error
	lookup := func(id string) (visibility.Kudos, bool) {
		k, err := cmd.Kudos(ctx, tenant, id)
		if err != nil {
			if !errors.Is(err, command.ErrNotFound) {
				lookupErr = err
			}
			return visibility.Kudos{}, false
		}
		return visibility.Kudos{Giver: k.Giver, Recipients: k.Recipients, Private: k.Visibility == event.Private}, true
	}
	ok := visibility.Allows(visibility.Viewer{Role: auth.Integration}, d, lookup)
	if lookupErr != nil {
		return false, lookupErr
	}
	if !ok {
		return false, nil
	}
	if _, isKudos := d.(event.KudosGiven); isKudos {
		return cmd.KudosLive(ctx, tenant, env.ID)
	}
	return true, nil
}
