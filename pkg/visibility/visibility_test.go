package visibility_test

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/visibility"
)

// viewers: every role, and the personal roles in each relation to the
// events below, which are about bo (kudos from ana to bo).
var viewers = map[string]visibility.Viewer{
	"admin":          {Role: auth.Admin},
	"admin:bo":       {Role: auth.Admin, Member: "bo"},
	"analyst":        {Role: auth.Analyst},
	"integration":    {Role: auth.Integration},
	"publisher":      {Role: auth.Publisher},
	"member:bo":      {Role: auth.Member, Member: "bo"},
	"member:ana":     {Role: auth.Member, Member: "ana"},
	"member:cy":      {Role: auth.Member, Member: "cy"},
	"manager:bo":     {Role: auth.Manager, Member: "bo"},
	"manager:cy":     {Role: auth.Manager, Member: "cy"},
	"no role":        {Member: "bo"},
	"unknown role":   {Role: "root", Member: "bo"},
	"integration:bo": {Role: auth.Integration, Member: "bo"},
}

var (
	everyone     = []string{"admin", "admin:bo", "analyst", "integration", "member:bo", "member:ana", "member:cy", "manager:bo", "manager:cy", "integration:bo"}
	participants = []string{"admin:bo", "member:bo", "member:ana", "manager:bo", "integration:bo"}
	staffAndBo   = []string{"admin", "admin:bo", "analyst", "member:bo", "manager:bo", "integration:bo"}
	forBo        = []string{"admin", "admin:bo", "integration", "integration:bo", "member:bo", "manager:bo"}
)

// kudos the reactions and retractions below are about.
var kudos = map[string]visibility.Kudos{
	"public":  {Giver: "ana", Recipients: []string{"bo"}},
	"private": {Giver: "ana", Recipients: []string{"bo"}, Private: true},
}

func lookup(id string) (visibility.Kudos, bool) {
	k, ok := kudos[id]
	return k, ok
}

func TestEveryTypeForEveryViewer(t *testing.T) {
	t.Parallel()
	rating := event.RatingReceived{Platform: "cxone", InteractionID: "c-1", Agent: "bo", Score: 1, Scale: "stars_5"}
	tests := []struct {
		name string
		data event.Data
		sees []string
	}{
		{"public kudos", event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Visibility: event.Public}, everyone},
		{"private kudos", event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Visibility: event.Private}, participants},
		{"reaction to public kudos", event.ReactionAdded{KudosID: "public", Member: "cy"}, everyone},
		{"reaction to private kudos", event.ReactionAdded{KudosID: "private", Member: "bo"}, participants},
		{"reaction to unknown kudos", event.ReactionAdded{KudosID: "gone", Member: "bo"}, nil},
		{"retraction of public kudos", event.KudosRetracted{KudosID: "public", Giver: "ana"}, everyone},
		{"retraction of private kudos", event.KudosRetracted{KudosID: "private", Giver: "ana"}, participants},
		{"rating", rating, staffAndBo},
		{"rating corrected", event.RatingCorrected{Agent: "bo", Reason: "survey edited"}, staffAndBo},
		{"rating withdrawn", event.RatingWithdrawn{Agent: "bo"}, staffAndBo},
		{"member upserted", event.MemberUpserted{Member: "bo"}, everyone},
		{"member left", event.MemberLeft{Member: "bo", Reason: "personal"}, staffAndBo},
		{"policy", event.PolicySet{}, everyone},
		{"boost", event.AllowanceBoosted{Member: "bo"}, staffAndBo},
		{"team boost", event.AllowanceBoosted{Team: "support"}, []string{"admin", "admin:bo", "analyst"}},
		{"preferences", event.PreferencesSet{Member: "bo"}, forBo},
		{"nudge issued", event.NudgeIssued{Member: "bo", Kind: "wellness", Reason: "low_rating"}, forBo},
		{"nudge delivered", event.NudgeDelivered{Member: "bo", Kind: "wellness", Reason: "low_rating"}, forBo},
		{"nudge acknowledged", event.NudgeAcknowledged{Member: "bo"}, forBo},
		{"nudge dismissed", event.NudgeDismissed{Member: "bo"}, forBo},
		{"nudge cancelled", event.NudgeCancelled{Member: "bo"}, forBo},
		{"an audience of no known kind", unseen{event.NudgeIssued{Member: "bo"}}, nil},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		if _, ok := tt.data.(unseen); !ok {
			covered[tt.data.EventType()] = true
		}
		t.Run(tt.name, func(t *testing.T) {
			names := make([]string, 0, len(viewers))
			for n := range viewers {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				want := slices.Contains(tt.sees, n)
				if got := visibility.Allows(viewers[n], tt.data, lookup); got != want {
					t.Errorf("%s sees it: %v, want %v", n, got, want)
				}
			}
		})
	}
	// Every type a stream may hold has a row: a new type fails here until
	// someone decides who sees it.
	// (An older version is read as the newest, so its rows are those.)
	unversioned := func(typ string) string { return typ[:strings.LastIndex(typ, ".v")] }
	for _, typ := range event.Types() {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(covered)), func(c string) bool { return unversioned(c) == unversioned(typ) }) {
			t.Errorf("no visibility rows for %s", typ)
		}
	}
}

// unseen is an event whose type declares an audience this package does not
// know: default deny.
type unseen struct{ event.NudgeIssued }

func (unseen) Audience() (event.Audience, string) { return event.Nobody, "bo" }
