// Package visibility decides who may see an event: one rule per event type
// and viewer, shared by the live stream, the feeds and every integration
// that delivers events out of the engine. It is default deny: an event
// type it has no rule for is seen by nobody, and a test fails until the
// type has one.
//
// It reads no store: what a rule needs beyond the event (who was in the
// kudos a reaction is about) the caller looks up and passes in.
package visibility

import (
	"slices"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
)

// Viewer is who is looking: the role of their key and the member it is
// bound to ("" for none). An integration's delivery views as
// Viewer{Role: auth.Integration}.
type Viewer struct {
	Role   auth.Role
	Member string
}

// Kudos is what the rules need to know of a kudos.
type Kudos struct {
	Giver      string
	Recipients []string
	Private    bool
}

// KudosLookup finds the kudos a reaction or retraction is about; ok is
// false when there is no such kudos (the event is then seen by nobody).
type KudosLookup func(kudosID string) (k Kudos, ok bool)

// SeesKudos reports whether member sees k: everyone in the tenant sees
// public kudos, and private kudos are seen only by their giver and
// recipients, whatever the role (an admin is no exception).
func SeesKudos(member string, k Kudos) bool {
	if !k.Private {
		return true
	}
	return member != "" && (member == k.Giver || slices.Contains(k.Recipients, member))
}

// Allows reports whether v may see the event d of its own tenant. The
// rules, by type:
//   - kudos: public to everyone, private to its giver and recipients;
//     reactions and retractions as the kudos they are about;
//   - the directory's member_upserted and the tenant's policy: everyone,
//     since giving needs both;
//   - member_left (its reason), boosts: admins, analysts and the member it
//     is about;
//   - ratings, their corrections and withdrawals: admins, analysts and the
//     rated agent, never a manager or peer (scores are never used
//     punitively or published);
//   - preferences and nudges: the member they are for, and the admins and
//     integrations that act for members (a chat integration delivers
//     nudges);
//   - anything else: nobody.
//
// A publisher sees nothing.
func Allows(v Viewer, d event.Data, lookup KudosLookup) bool {
	if !v.Role.Valid() || v.Role == auth.Publisher {
		return false
	}
	self := func(member string) bool { return v.Member != "" && v.Member == member }
	staff := v.Role == auth.Admin || v.Role == auth.Analyst
	actsForMembers := v.Role == auth.Admin || v.Role == auth.Integration
	switch e := d.(type) {
	case event.KudosGiven:
		return SeesKudos(v.Member, Kudos{Giver: e.Giver, Recipients: e.Recipients, Private: e.Visibility == event.Private})
	case event.ReactionAdded:
		return seesKudosOf(v, e.KudosID, lookup)
	case event.KudosRetracted:
		return seesKudosOf(v, e.KudosID, lookup)
	case event.MemberUpserted, event.PolicySet:
		return true
	case event.MemberLeft:
		return staff || self(e.Member)
	case event.AllowanceBoosted:
		return staff || self(e.Member)
	case event.RatingReceived:
		return staff || self(e.Agent)
	case event.RatingCorrected:
		return staff || self(e.Agent)
	case event.RatingWithdrawn:
		return staff || self(e.Agent)
	case event.PreferencesSet:
		return actsForMembers || self(e.Member)
	case event.NudgeIssued:
		return actsForMembers || self(e.Member)
	case event.NudgeDelivered:
		return actsForMembers || self(e.Member)
	case event.NudgeAcknowledged:
		return actsForMembers || self(e.Member)
	case event.NudgeDismissed:
		return actsForMembers || self(e.Member)
	case event.NudgeCancelled:
		return actsForMembers || self(e.Member)
	}
	return false
}

func seesKudosOf(v Viewer, id string, lookup KudosLookup) bool {
	if lookup == nil {
		return false
	}
	k, ok := lookup(id)
	return ok && SeesKudos(v.Member, k)
}
