package event_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plaudit/plaudit/pkg/event"
	"github.com/plaudit/plaudit/pkg/event/eventtest"
)

// sample is one realistic event as the write side would append it.
type sample struct {
	name   string
	tenant string
	id     string
	at     time.Time
	data   event.Data
}

func newID(t testing.TB) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// samples returns realistic values of every data type, including the edges
// the write side allows (20 recipients, 2000-character messages, the ends
// of every scale). Every registered type must have at least one.
func samples(t testing.TB) []sample {
	t.Helper()
	at := time.Date(2026, 11, 23, 9, 41, 7, 312_456_789, time.UTC)
	kudos, boost, nudge := newID(t), newID(t), newID(t)
	twenty := make([]string, 20)
	for i := range twenty {
		twenty[i] = fmt.Sprintf("agent-%02d", i)
	}
	ten := []string{"ownership", "teamwork", "customer-first", "craft", "candour", "curiosity", "care", "pace", "quality", "inclusion"}
	fifty := make([]string, 50)
	for i := range fifty {
		fifty[i] = fmt.Sprintf("value_%02d", i)
	}
	ratingEventID := newID(t)
	longInteraction := "ç" + strings.Repeat("x:/#", 31) + "en" // 128 bytes, the most allowed
	return []sample{
		{"kudos/chat", "acme", kudos, at, event.KudosGiven{
			Giver: "ana", Recipients: []string{"bruno", "chen-li"},
			Message: "Thanks for staying late to pair on the invoice export bug: the fix shipped before the month-end close.",
			Values:  []string{"ownership", "teamwork"}, Points: 2, Visibility: event.Public, Channel: event.ChannelChat,
			Period: "day:2026-11-23", Spent: 4,
		}},
		{"kudos/rule with cause", "acme", newID(t), at, event.KudosGiven{
			Giver: "marta", Recipients: []string{"joao"},
			Message: "A customer rated your call 5 stars: \"sorted out my router in ten minutes\".",
			Values:  []string{}, Points: 1, Visibility: event.Private, Channel: event.ChannelRule,
			Cause:  &event.Cause{EventID: ratingEventID, Type: event.TypeRatingReceived},
			Period: "week:2026-W48", Spent: 1,
		}},
		{"kudos/limits", "t_0", newID(t), at, event.KudosGiven{
			Giver: "z", Recipients: twenty, Message: strings.Repeat("é", 2000), Values: ten,
			Points: 100, Visibility: event.Public, Channel: event.ChannelCLI, Period: "month:2026-12", Spent: 2000,
		}},
		{"reaction/emoji", "acme", newID(t), at, event.ReactionAdded{KudosID: kudos, Member: "chen-li", Emoji: "🎉"}},
		{"reaction/zwj sequence", "acme", newID(t), at, event.ReactionAdded{KudosID: kudos, Member: "dmitri", Emoji: "👩🏽‍💻"}},
		{"reaction/variation selector", "acme", newID(t), at, event.ReactionAdded{KudosID: kudos, Member: "eve", Emoji: "❤️"}},
		{"reaction/short code", "acme", newID(t), at, event.ReactionAdded{KudosID: kudos, Member: "bruno", Emoji: ":+1:"}},
		{"retracted/by giver", "acme", newID(t), at, event.KudosRetracted{
			KudosID: kudos, Giver: "ana", By: "ana", ByRole: event.ByGiver,
			Reason: "Sent to the wrong Bruno.", Period: "day:2026-11-23", Refunded: 4,
		}},
		{"retracted/by admin key", "acme", newID(t), at, event.KudosRetracted{
			KudosID: kudos, Giver: "ana", By: "k_3f9a1c0b7e24", ByRole: event.ByAdmin,
			Reason: strings.Repeat("r", 500), Period: "week:2026-W01", Refunded: 0,
		}},
		{"rating/stars", "acme", newID(t), at, event.RatingReceived{
			Platform: "genesys", InteractionID: "conv-8f3a2b91-4c1e", Agent: "joao", Score: 5, Scale: event.ScaleStars5,
			Comment: "Sorted out my router in ten minutes.", Channel: event.InteractionVoice, HandleTimeSeconds: 612,
			OccurredAt: time.Date(2026, 11, 23, 9, 38, 12, 0, time.UTC),
		}},
		{"rating/nps zero, no comment", "acme", newID(t), at, event.RatingReceived{
			Platform: "zendesk", InteractionID: "ticket/48213", Agent: "priya", Score: 0, Scale: event.ScaleNPS10,
			Channel: event.InteractionChat, HandleTimeSeconds: 0,
			OccurredAt: time.Date(2026, 11, 23, 9, 38, 12, 123_456_789, time.UTC),
		}},
		{"rating/limits", "acme", newID(t), at, event.RatingReceived{
			Platform: "p", InteractionID: longInteraction, Agent: "joao", Score: 1, Scale: event.ScaleCSAT5,
			Comment: strings.Repeat("ü", 2000), Channel: event.InteractionOther, HandleTimeSeconds: 86400,
			OccurredAt: time.Date(2025, 11, 23, 0, 0, 0, 0, time.UTC),
		}},
		{"member/with manager", "acme", newID(t), at, event.MemberUpserted{
			Member: "chen-li", Name: "Chen Li", Team: "payments", Manager: "marta", TimeZone: "Europe/Lisbon", Active: true,
		}},
		{"member/inactive, no manager", "acme", newID(t), at, event.MemberUpserted{
			Member: "marta", Name: "Marta Sousa", Team: "payments", TimeZone: "America/Argentina/Buenos_Aires", Active: false,
		}},
		{"member/utc", "acme", newID(t), at, event.MemberUpserted{
			Member: "zz_9", Name: strings.Repeat("N", 200), Team: "t", TimeZone: "UTC", Active: true,
		}},
		{"member/chat identities", "acme", newID(t), at, event.MemberUpserted{
			Member: "bo", Name: "Bo Berg", Team: "t", TimeZone: "UTC", Active: true,
			Email: "bo.berg+work@acme.example", SlackUserID: "W0123ABCD", TeamsUserID: "6f1c2a4e-8a0b-4c55-9a0e-2b1f3c4d5e6f",
		}},
		{"member v1/old", "acme", newID(t), at, event.MemberUpsertedV1{
			Member: "chen-li", Name: "Chen Li", Team: "payments", Manager: "marta", TimeZone: "Europe/Lisbon", Active: true,
		}},
		{"left/with reason", "acme", newID(t), at, event.MemberLeft{Member: "bruno", Reason: "Moved to the Berlin office"}},
		{"left/no reason", "acme", newID(t), at, event.MemberLeft{Member: "sam"}},
		{"policy/custom", "acme", newID(t), at, event.PolicySet{
			Allowance: event.Allowance{Amount: 10, Period: event.PeriodWeek},
			Values:    []string{"ownership", "teamwork"}, MessageRules: event.MessageRules{MinLength: 30, RejectGeneric: true},
			Rules: event.Rules{
				RatingKudos: event.Scores{Stars5: 4, CSAT5: 5, NPS10: 10},
				Wellness: event.Wellness{LongInteractionMinutes: 30, LowRating: event.Scores{Stars5: 1, CSAT5: 3, NPS10: 6},
					RunLength: 12, BreakMinutes: 5},
				GapDays: 10, GivingAfterPercent: 50,
			},
			Nudges: event.NudgePolicy{DailyCap: 1, Wellness: event.OptOut, Gap: event.OptOut, Giving: event.Off,
				QuietHours: event.QuietHours{Start: "22:30", End: "06:15"}},
		}},
		{"policy/default", "acme", newID(t), at, event.DefaultPolicy()},
		{"policy/limits", "acme", newID(t), at, event.PolicySet{
			Allowance: event.Allowance{Amount: 1000, Period: event.PeriodMonth},
			Values:    fifty, MessageRules: event.MessageRules{MinLength: 500, RejectGeneric: false},
			Rules: event.Rules{
				RatingKudos: event.Scores{Stars5: 5, CSAT5: 4, NPS10: 7},
				Wellness: event.Wellness{LongInteractionMinutes: 480, LowRating: event.Scores{Stars5: 3, CSAT5: 1, NPS10: 0},
					RunLength: 50, BreakMinutes: 120},
				GapDays: 365, GivingAfterPercent: 99,
			},
			Nudges: event.NudgePolicy{DailyCap: 20, Wellness: event.Off, Gap: event.OptIn, Giving: event.OptOut,
				QuietHours: event.QuietHours{Start: "00:00", End: "00:00"}},
		}},
		{"policy v1/custom", "acme", newID(t), at, event.PolicySetV1{
			Allowance: event.Allowance{Amount: 10, Period: event.PeriodWeek},
			Values:    []string{"ownership", "teamwork"}, MessageRules: event.MessageRules{MinLength: 30, RejectGeneric: true},
		}},
		{"rating corrected/lower", "acme", newID(t), at, event.RatingCorrected{
			Platform: "genesys", InteractionID: "conv-8f3a2b91-4c1e", Agent: "joao", Score: 3, Scale: event.ScaleStars5,
			Comment: "Fixed, but it took two calls.", Channel: event.InteractionVoice, HandleTimeSeconds: 612,
			OccurredAt: time.Date(2026, 11, 23, 9, 38, 12, 0, time.UTC), Reason: "Customer edited the survey",
		}},
		{"rating corrected/limits, no reason", "acme", newID(t), at, event.RatingCorrected{
			Platform: "p", InteractionID: longInteraction, Agent: "joao", Score: 10, Scale: event.ScaleNPS10,
			Comment: strings.Repeat("ü", 2000), Channel: event.InteractionOther, HandleTimeSeconds: 86400,
			OccurredAt: time.Date(2025, 11, 23, 0, 0, 0, 1, time.UTC),
		}},
		{"rating withdrawn/reason", "acme", newID(t), at, event.RatingWithdrawn{
			Platform: "zendesk", InteractionID: "ticket/48213", Agent: "priya", Reason: strings.Repeat("w", 500),
		}},
		{"rating withdrawn/no reason", "acme", newID(t), at, event.RatingWithdrawn{
			Platform: "genesys", InteractionID: longInteraction, Agent: "joao",
		}},
		{"preferences/all", "acme", newID(t), at, event.PreferencesSet{
			Member: "joao", Nudges: event.NudgeChoices{Wellness: event.ChoiceOn, Gap: event.ChoiceOff, Giving: event.ChoiceOn},
			QuietHours: &event.QuietHours{Start: "21:30", End: "07:00"},
		}},
		{"preferences/none", "acme", newID(t), at, event.PreferencesSet{Member: "marta", Nudges: event.NudgeChoices{}}},
		{"nudge issued/wellness", "acme", nudge, at, event.NudgeIssued{
			Member: "joao", Kind: event.NudgeWellness, Reason: event.ReasonLongInteraction,
			Message: "That was a long call (52 minutes). Take a few minutes before the next one.",
			Cause:   &event.Cause{EventID: ratingEventID, Type: event.TypeRatingReceived},
			Day:     "2026-11-23", DeliverAt: at, ExpiresAt: at.Add(4 * time.Hour),
		}},
		{"nudge issued/gap, deferred", "acme", newID(t), at, event.NudgeIssued{
			Member: "marta", Kind: event.NudgeGap, Reason: event.ReasonRecognitionGap,
			Message: strings.Repeat("m", 500), About: "chen-li", Day: "2026-11-24",
			DeliverAt: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		}},
		{"nudge delivered/gap", "acme", newID(t), at, event.NudgeDelivered{
			NudgeID: nudge, Member: "marta", Kind: event.NudgeGap, Reason: event.ReasonRecognitionGap,
			Message: "Chen Li has not been recognised for 14 days.", About: "chen-li",
		}},
		{"nudge delivered/giving", "acme", newID(t), at, event.NudgeDelivered{
			NudgeID: nudge, Member: "ana", Kind: event.NudgeGiving, Reason: event.ReasonAllowanceLeft,
			Message: "You have 5 points left this week.",
		}},
		{"nudge acknowledged", "acme", newID(t), at, event.NudgeAcknowledged{NudgeID: nudge, Member: "joao"}},
		{"nudge dismissed", "acme", newID(t), at, event.NudgeDismissed{NudgeID: nudge, Member: "joao"}},
		{"nudge cancelled/left", "acme", newID(t), at, event.NudgeCancelled{NudgeID: nudge, Member: "joao", Reason: event.CancelLeft}},
		{"nudge cancelled/expired", "acme", newID(t), at, event.NudgeCancelled{NudgeID: nudge, Member: "joao", Reason: event.CancelExpired}},
		{"boost/team", "acme", boost, at, event.AllowanceBoosted{
			BoostID: boost, Team: "support", Points: 5, From: "2026-11-23", To: "2026-11-29",
			Reason: "Black Friday week", By: "marta",
		}},
		{"boost/member, a year", "acme", newID(t), at, event.AllowanceBoosted{
			BoostID: newID(t), Member: "chen-li", Points: 1000, From: "2026-01-01", To: "2027-01-01", By: "k_3f9a1c0b7e24",
		}},
	}
}

// envelopeOf builds and marshals the sample's envelope.
func envelopeOf(t testing.TB, s sample) (event.Envelope, []byte) {
	t.Helper()
	return eventtest.Stored(t, s.tenant, s.id, s.at, s.data)
}

// schemaFile is a schema as stored, with its examples kept verbatim.
type schemaFile struct {
	ID       string            `json:"$id"`
	Examples []json.RawMessage `json:"examples"`
}

// schemaFiles reads every schema in schemas/events, by file name.
func schemaFiles(t testing.TB) map[string]schemaFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(eventtest.Dir(), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no schemas in %s", eventtest.Dir())
	}
	out := make(map[string]schemaFile, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f schemaFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		out[filepath.Base(p)] = f
	}
	return out
}
