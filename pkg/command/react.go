package command

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
	if k.Visibility == event.Private && c.Member != k.Giver && !slices.Contains(k.Recipients, c.Member) {
		return Result{}, refuse(ErrNotFound, "id", "no kudos %q", c.KudosID)
	}
	if ref.retractID == "" {
		// The index learns of a retraction made through another process
		// when it reads the giver's events: read those appended since.
		g := s.giver(c.Tenant, k.Giver)
		g.mu.Lock()
		err := s.catchUp(ctx, g, event.GiverFilter(c.Tenant, k.Giver))
		g.mu.Unlock()
		if err != nil {
			return Result{}, err
		}
		ref, _ = s.dir.kudos.get(c.Tenant, k.ID)
	}
	if ref.retractID != "" {
		return Result{}, refuse(ErrConflict, "id", "kudos %q was retracted", k.ID)
	}
	subject := event.ReactionSubject(c.Tenant, k.ID, c.Member)
	for range maxAttempts {
		recs, seq, err := s.store.Load(ctx, subject, 0)
		if err != nil {
			return Result{}, storeErr(err)
		}
		for _, r := range recs {
			if d, err := r.Decode(); err == nil && d.(event.ReactionAdded).Emoji == c.Emoji {
				return Result{Events: []eventstore.Appended{{ID: r.ID, Subject: r.Subject, Seq: r.Seq}}, Replayed: true}, nil
			}
		}
		res, err := s.appendOne(ctx, c.Tenant, eventID(c.IDSeed), s.now(), event.ReactionAdded{KudosID: k.ID, Member: c.Member, Emoji: c.Emoji}, &eventstore.Expectation{Filter: subject, Seq: seq})
		if errors.Is(err, eventstore.ErrConflict) {
			continue
		}
		if err != nil {
			return Result{}, storeErr(err)
		}
		return res, nil
	}
	return Result{}, refuse(ErrConflict, "id", "kudos %q is busy; retry", k.ID)
}

// checkEmoji accepts one emoji, as Unicode's emoji data has it (package
// emoji: sequences with joiners, skin tones and flags count as one), or a
// :short_code:.
func checkEmoji(e string) error {
	n := utf8.RuneCountInString(e)
	switch {
	case n == 0:
		return invalid("emoji", "is required")
	case len(e) > 64:
		return invalid("emoji", "is too long")
	case strings.HasPrefix(e, ":") && strings.HasSuffix(e, ":") && n > 2:
		for _, r := range e[1 : len(e)-1] {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '+' || r == '-') {
				return invalid("emoji", "short code %q may hold only a-z, 0-9, '_', '+' and '-'", e)
			}
		}
		return nil
	case !emoji.Is(e):
		return invalid("emoji", "%q is not one emoji or a :short_code:", e)
	case n > 10:
		return invalid("emoji", "is an emoji of %d code points; at most 10 are stored", n)
	}
	// The reaction_added.v1 schema refuses letters, digits and punctuation
	// in an emoji, and so the keycaps (1️⃣, #️⃣, *️⃣) and the few emoji that
	// are letters or punctuation (ℹ️, ‼️, ⁉️, 〰️, 〽️). Taking them would
	// take a new version of the event.
	for _, r := range e {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r) {
			return invalid("emoji", "%q is an emoji the reaction event cannot hold (a keycap, or a letter or punctuation); use a :short_code:", e)
		}
	}
	return nil
}
