package command

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/plaudit/plaudit/pkg/emoji"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/eventstore"
)

// React adds a member's emoji reaction to a kudos.
type React struct {
	Tenant  string
	KudosID string
	Member  string
	Emoji   string
	IDSeed  string
}

// reactFields names React's fields for reaction_added's.
var reactFields = fieldNames{"member": "from", "kudos_id": "id"}

// reactions is the state of one member's reactions to one kudos
// (event.ReactionSubject): the first reaction with each emoji.
type reactions map[string]eventstore.Appended

func (st reactions) fold(r eventstore.Recorded, d event.Data) {
	if e, ok := d.(event.ReactionAdded); ok {
		if _, seen := st[e.Emoji]; !seen {
			st[e.Emoji] = eventstore.Appended{ID: r.ID, Subject: r.Subject, Seq: r.Seq}
		}
	}
}

// reactInputs is what deciding a reaction takes besides the member's
// reactions: the kudos, whether it was retracted, and the reaction's id.
type reactInputs struct {
	kudos     Kudos
	retracted bool
	id        string
}

// React appends the reaction unless the member already reacted with that
// emoji, in which case the original reaction is returned as a replay. Only
// the people in a private kudos can see it, and so react to it.
func (s *Service) React(ctx context.Context, c React) (Result, error) {
	if err := checkEmoji(c.Emoji); err != nil {
		return Result{}, err
	}
	if _, err := s.activeMember(c.Tenant, c.Member, "from"); err != nil {
		return Result{}, err
	}
	k, ref, err := s.findKudos(ctx, c.Tenant, c.KudosID)
	if err != nil {
		return Result{}, err
	}
	retracted := ref.retractID != ""
	if !retracted {
		// The index learns of a retraction made through another process
		// when the giver's events are read: read those appended since.
		g := s.giver(c.Tenant, k.Giver)
		g.mu.Lock()
		err := catchUp(ctx, s, &g.aggregate)
		_, retracted = g.state.retracted[k.ID]
		g.mu.Unlock()
		if err != nil {
			return Result{}, err
		}
	}
	in := reactInputs{kudos: k, retracted: retracted, id: eventID(c.IDSeed)}
	a := &aggregate[reactions]{filter: event.ReactionSubject(c.Tenant, k.ID, c.Member), state: reactions{}}
	return update(ctx, s, c.Tenant, a, change[reactions]{
		decide: func(st reactions, _ time.Time) (decision, error) { return decideReact(st, c, in) },
		fields: reactFields,
		busy:   func() error { return exhausted("id", "kudos %q is busy; retry", k.ID) },
	})
}

// decideReact decides a reaction on the member's reactions to the kudos: a
// private kudos is not there for those not in it, a retracted one takes no
// more reactions, and an emoji the member reacted with before is answered
// with that reaction.
func decideReact(st reactions, c React, in reactInputs) (decision, error) {
	k := in.kudos
	switch {
	case k.Visibility == event.Private && c.Member != k.Giver && !slices.Contains(k.Recipients, c.Member):
		return decision{}, refuse(ErrNotFound, "id", "no kudos %q", c.KudosID)
	case in.retracted:
		return decision{}, refuse(ErrConflict, "id", "kudos %q was retracted", k.ID)
	}
	if r, ok := st[c.Emoji]; ok {
		return replaying(r.ID, r.Subject, r.Seq), nil
	}
	return appending(newEvent{id: in.id, data: event.ReactionAdded{KudosID: k.ID, Member: c.Member, Emoji: c.Emoji}}), nil
}

// checkEmoji accepts one emoji, as Unicode's emoji data has it (package
// emoji: sequences with joiners, skin tones and flags count as one), or
// what looks like a :short_code:. Which short codes, how long, and which
// emoji the event can hold (not the keycaps, nor the few emoji that are
// letters or punctuation) are the reaction_added schema's rules.
func checkEmoji(e string) error {
	if len(e) > 2 && strings.HasPrefix(e, ":") && strings.HasSuffix(e, ":") {
		return nil
	}
	if !emoji.Is(e) {
		return invalid("emoji", "%q is not one emoji or a :short_code:", e)
	}
	return nil
}
