package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/event"
)

func TestFormatEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 10, 15, 3, 450e6, time.UTC)
	const kid = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	const day = "day:2026-11-23"
	tests := []struct {
		name string
		data event.Data
		want string
	}{
		{
			name: "kudos to two",
			data: event.KudosGiven{Giver: "ana", Recipients: []string{"bo", "cy"}, Points: 1, Values: []string{"ownership"},
				Message: "Thanks for taking the escalation", Visibility: event.Public, Channel: event.ChannelCLI, Period: day, Spent: 2},
			want: `kudos_given ana → bo, cy (+1 each, ownership): "Thanks for taking the escalation" [id ` + kid + `]`,
		},
		{
			name: "private kudos to one with two values",
			data: event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Points: 3, Values: []string{"ownership", "kindness"},
				Message: "Covering my shift", Visibility: event.Private, Channel: event.ChannelChat, Period: day, Spent: 3},
			want: `kudos_given ana → bo (+3, ownership, kindness, private): "Covering my shift" [id ` + kid + `]`,
		},
		{
			name: "long multi-line message is cut",
			data: event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Points: 1, Visibility: event.Public, Values: []string{},
				Channel: event.ChannelAPI, Period: day, Spent: 1,
				Message: "Thanks for taking the late escalation call\n\non Friday evening when nobody else could, and for writing it all up"},
			want: `kudos_given ana → bo (+1): "Thanks for taking the late escalation call on Friday…" [id ` + kid + `]`,
		},
		{
			name: "quotes in a message stay on one line",
			data: event.KudosGiven{Giver: "ana", Recipients: []string{"bo"}, Points: 1, Visibility: event.Public, Values: []string{},
				Channel: event.ChannelAPI, Period: day, Spent: 1, Message: `She said "done" and it was`},
			want: `kudos_given ana → bo (+1): "She said \"done\" and it was" [id ` + kid + `]`,
		},
		{
			name: "reaction",
			data: event.ReactionAdded{KudosID: kid, Member: "ana", Emoji: "🎉"},
			want: "reaction_added ana 🎉 on " + kid,
		},
		{
			name: "retracted by the giver",
			data: event.KudosRetracted{KudosID: kid, Giver: "ana", By: "ana", ByRole: event.ByGiver, Reason: "wrong person", Period: day, Refunded: 2},
			want: "kudos_retracted " + kid + " by ana: wrong person",
		},
		{
			name: "retracted by an admin",
			data: event.KudosRetracted{KudosID: kid, Giver: "ana", By: "k_1a2b", ByRole: event.ByAdmin, Reason: "spam", Period: day},
			want: "kudos_retracted " + kid + " by k_1a2b (admin): spam",
		},
		{
			name: "rating",
			data: event.RatingReceived{Platform: "cxone", InteractionID: "c-981", Agent: "bo", Score: 5, Scale: event.ScaleStars5, Channel: event.InteractionVoice},
			want: "rating_received cxone c-981 bo 5/stars_5",
		},
		{
			name: "rating with a comment",
			data: event.RatingReceived{Platform: "cxone", InteractionID: "c-982", Agent: "bo", Score: 9, Scale: event.ScaleNPS10, Comment: "Quick and kind", Channel: event.InteractionChat},
			want: `rating_received cxone c-982 bo 9/nps_10: "Quick and kind"`,
		},
		{
			name: "member",
			data: event.MemberUpserted{Member: "ana", Name: "Ana Silva", Team: "support-emea", TimeZone: "Europe/Lisbon", Active: true},
			want: "member_upserted ana (Ana Silva, support-emea, Europe/Lisbon)",
		},
		{
			name: "inactive member with a manager",
			data: event.MemberUpserted{Member: "bo", Name: "Bo", Team: "support-emea", Manager: "ana", TimeZone: "UTC"},
			want: "member_upserted bo (Bo, support-emea, UTC, manager ana, inactive)",
		},
		{
			name: "member left",
			data: event.MemberLeft{Member: "cy", Reason: "moved on"},
			want: "member_left cy: moved on",
		},
		{
			name: "member left without a reason",
			data: event.MemberLeft{Member: "cy"},
			want: "member_left cy",
		},
		{
			name: "policy",
			data: event.PolicySet{Allowance: event.Allowance{Amount: 5, Period: event.PeriodDay}, Values: []string{"ownership", "kindness"},
				MessageRules: event.DefaultPolicy().MessageRules, Rules: event.DefaultPolicy().Rules, Nudges: event.DefaultPolicy().Nudges},
			want: "policy_set 5/day values=ownership,kindness",
		},
		{
			name: "policy of version 1, read as version 2",
			data: event.PolicySetV1{Allowance: event.Allowance{Amount: 7, Period: event.PeriodWeek}, Values: []string{},
				MessageRules: event.DefaultPolicy().MessageRules},
			want: "policy_set 7/week values=(any)",
		},
		{
			name: "rating corrected",
			data: event.RatingCorrected{Platform: "cxone", InteractionID: "call-1", Agent: "bo", Score: 3, Scale: event.ScaleStars5,
				Channel: event.InteractionVoice, OccurredAt: at, Reason: "survey edited"},
			want: "rating_corrected cxone call-1 bo 3/stars_5: survey edited",
		},
		{
			name: "rating withdrawn",
			data: event.RatingWithdrawn{Platform: "cxone", InteractionID: "call-1", Agent: "bo"},
			want: "rating_withdrawn cxone call-1 bo",
		},
		{
			name: "preferences",
			data: event.PreferencesSet{Member: "bo", Nudges: event.NudgeChoices{Wellness: event.ChoiceOn, Giving: event.ChoiceOff},
				QuietHours: &event.QuietHours{Start: "21:00", End: "07:30"}},
			want: "preferences_set bo (wellness on, giving off, quiet 21:00-07:30)",
		},
		{
			name: "preferences left to the policy",
			data: event.PreferencesSet{Member: "bo"},
			want: "preferences_set bo (as the policy says)",
		},
		{
			name: "nudge issued",
			data: event.NudgeIssued{Member: "ana", Kind: event.NudgeGap, Reason: event.ReasonRecognitionGap, About: "bo",
				Message: "Bo has not been recognised for 14 days.", Day: "2026-11-24", DeliverAt: at.Add(time.Hour), ExpiresAt: at.Add(25 * time.Hour)},
			want: "nudge_issued ana gap/recognition_gap, deliver at 2026-11-23T11:15:03Z: \"Bo has not been recognised for 14 days.\" [id " + kid + "]",
		},
		{
			name: "nudge delivered",
			data: event.NudgeDelivered{NudgeID: kid, Member: "ana", Kind: event.NudgeGap, Reason: event.ReasonRecognitionGap, Message: "m"},
			want: "nudge_delivered ana gap/recognition_gap [id " + kid + "]",
		},
		{
			name: "nudge acknowledged",
			data: event.NudgeAcknowledged{NudgeID: kid, Member: "ana"},
			want: "nudge_acknowledged ana [id " + kid + "]",
		},
		{
			name: "nudge cancelled",
			data: event.NudgeCancelled{NudgeID: kid, Member: "ana", Reason: event.CancelLeft},
			want: "nudge_cancelled ana: member_left [id " + kid + "]",
		},
		{
			name: "nudge dismissed",
			data: event.NudgeDismissed{NudgeID: kid, Member: "ana"},
			want: "nudge_dismissed ana [id " + kid + "]",
		},
		{
			name: "policy without values",
			data: event.DefaultPolicy(),
			want: "policy_set 5/day values=(any)",
		},
		{
			name: "team boost",
			data: event.AllowanceBoosted{BoostID: kid, Team: "support-emea", Points: 3, From: "2026-11-23", To: "2026-11-27", By: "k_1"},
			want: "allowance_boosted +3 team support-emea 2026-11-23..2026-11-27",
		},
		{
			name: "member boost with a reason",
			data: event.AllowanceBoosted{BoostID: kid, Member: "ana", Points: 2, From: "2026-12-01", To: "2026-12-01", Reason: "launch day", By: "k_1"},
			want: "allowance_boosted +2 member ana 2026-12-01..2026-12-01: launch day",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := event.New("default", kid, at, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			// As the stream carries it.
			raw, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			env, err = event.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Decode(); err != nil {
				t.Fatalf("the fixture is not a valid event: %v", err)
			}
			want := "#12 2026-11-23T10:15:03Z " + tt.want
			if got := formatEvent(12, env); got != want {
				t.Errorf("formatEvent:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestFormatEventUnknownType(t *testing.T) {
	t.Parallel()
	env := event.Envelope{
		SpecVersion: event.SpecVersion, ID: "e1", Source: event.Source, Tenant: "default",
		Type: "plaudit.recognition.kudos_given.v9", Subject: "kudos/ana",
		Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(`{}`),
	}
	want := "#7 2026-11-23T10:00:00Z plaudit.recognition.kudos_given.v9 kudos/ana"
	if got := formatEvent(7, env); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestShort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", messageWidth+5)
	got := short(long)
	if n := len([]rune(got)); n != messageWidth {
		t.Errorf("short kept %d characters of a word, want %d", n, messageWidth)
	}
	words := strings.Repeat("word ", 20)
	if got := short(words); len([]rune(got)) > messageWidth || !strings.HasSuffix(got, "word…") {
		t.Errorf("short(%q) = %q, want at most %d characters ending on a whole word", words, got, messageWidth)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("short(%q) = %q, want an ellipsis", long, got)
	}
	if got := short("  a\tb\n c "); got != "a b c" {
		t.Errorf("short = %q, want %q", got, "a b c")
	}
}

// TestFormatEventOfATypeItDoesNotKnow: an event of a type this CLI has no
// line for (a newer type or version) still gets one, with its type and
// subject.
func TestFormatEventOfATypeItDoesNotKnow(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 15, 3, 0, time.UTC)
	env := event.Envelope{SpecVersion: event.SpecVersion, ID: "x", Source: event.Source, Type: "plaudit.recognition.kudos_pinned.v9",
		Time: at, Subject: "kudos/k1", Tenant: "acme", Data: []byte(`{"kudos_id":"k1"}`)}
	if got, want := formatEvent(7, env), "#7 2026-11-23T10:15:03Z plaudit.recognition.kudos_pinned.v9 kudos/k1"; got != want {
		t.Errorf("formatEvent = %q, want %q", got, want)
	}
}
