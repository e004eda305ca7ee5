// Package visibility decides who may see an event: the audience its type
// declares (event.Audience) applied to a viewer, shared by the live
// stream, the feeds and every integration that delivers events out of the
// engine. It is default deny: an audience it does not know is seen by
// nobody, and every type must declare one (event.Data).
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

// Allows reports whether v may see the event d of its own tenant, by the
// audience its type declares (event.Audience). A publisher sees nothing.
func Allows(v Viewer, d event.Data, lookup KudosLookup) bool {
	if !v.Role.Valid() || v.Role == auth.Publisher {
		return false
	}
	self := func(member string) bool { return v.Member != "" && v.Member == member }
	audience, about := d.Audience()
	switch audience {
	case event.Everyone:
		return true
	case event.Participants:
		if k, ok := d.(event.KudosGiven); ok {
			return SeesKudos(v.Member, Kudos{Giver: k.Giver, Recipients: k.Recipients, Private: k.Visibility == event.Private})
		}
		return seesKudosOf(v, about, lookup)
	case event.Staff:
		return v.Role == auth.Admin || v.Role == auth.Analyst || self(about)
	case event.Personal:
		return v.Role == auth.Admin || v.Role == auth.Integration || self(about)
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
