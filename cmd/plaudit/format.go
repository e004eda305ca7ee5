package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plaudit/plaudit/pkg/event"
)

// messageWidth is how many characters of a kudos message or a comment a
// tail line shows.
const messageWidth = 60

// formatEvent renders one stream event as one line:
//
//	#12 2026-11-23T10:15:03Z kudos_given ana → bo, cy (+1 each, ownership): "Thanks for taking…" [id 0195…]
//
// An event this CLI cannot decode (a newer type or version) still gets a
// line, with its type and subject.
func formatEvent(seq uint64, env event.Envelope) string {
	head := fmt.Sprintf("#%d %s ", seq, env.Time.UTC().Format(time.RFC3339))
	d, err := env.Decode()
	if err != nil {
		return head + env.Type + " " + env.Subject
	}
	if s, ok := describe(env.ID, d); ok {
		return head + s
	}
	return head + env.Type + " " + env.Subject
}

// describe renders an event's data; id is the event's id (a kudos' id). It
// reports false for a type it does not know.
func describe(id string, d event.Data) (string, bool) {
	var s string
	switch e := d.(type) {
	case event.KudosGiven:
		pts := "+" + strconv.Itoa(e.Points)
		if len(e.Recipients) > 1 {
			pts += " each"
		}
		notes := append([]string{pts}, e.Values...)
		if e.Visibility == event.Private {
			notes = append(notes, "private")
		}
		s = fmt.Sprintf("kudos_given %s → %s (%s): %s [id %s]",
			e.Giver, strings.Join(e.Recipients, ", "), strings.Join(notes, ", "), quote(e.Message), id)
	case event.ReactionAdded:
		s = fmt.Sprintf("reaction_added %s %s on %s", e.Member, e.Emoji, e.KudosID)
	case event.KudosRetracted:
		by := e.By
		if e.ByRole == event.ByAdmin {
			by += " (admin)"
		}
		s = fmt.Sprintf("kudos_retracted %s by %s%s", e.KudosID, by, suffix(e.Reason))
	case event.RatingReceived:
		s = fmt.Sprintf("rating_received %s %s %s %d/%s", e.Platform, e.InteractionID, e.Agent, e.Score, e.Scale)
		if e.Comment != "" {
			s += ": " + quote(e.Comment)
		}
	case event.MemberUpserted:
		about := []string{e.Name, e.Team, e.TimeZone}
		if e.Manager != "" {
			about = append(about, "manager "+e.Manager)
		}
		if !e.Active {
			about = append(about, "inactive")
		}
		s = fmt.Sprintf("member_upserted %s (%s)", e.Member, strings.Join(about, ", "))
	case event.MemberLeft:
		s = "member_left " + e.Member + suffix(e.Reason)
	case event.PolicySet:
		values := strings.Join(e.Values, ",")
		if values == "" {
			values = "(any)"
		}
		s = fmt.Sprintf("policy_set %d/%s values=%s", e.Allowance.Amount, e.Allowance.Period, values)
	case event.RatingCorrected:
		s = fmt.Sprintf("rating_corrected %s %s %s %d/%s", e.Platform, e.InteractionID, e.Agent, e.Score, e.Scale) + suffix(e.Reason)
	case event.RatingWithdrawn:
		s = fmt.Sprintf("rating_withdrawn %s %s %s", e.Platform, e.InteractionID, e.Agent) + suffix(e.Reason)
	case event.PreferencesSet:
		var about []string
		for _, kind := range event.NudgeKinds {
			if c := e.Nudges.Of(kind); c != "" {
				about = append(about, kind+" "+c)
			}
		}
		if q := e.QuietHours; q != nil {
			about = append(about, "quiet "+q.Start+"-"+q.End)
		}
		if len(about) == 0 {
			about = []string{"as the policy says"}
		}
		s = fmt.Sprintf("preferences_set %s (%s)", e.Member, strings.Join(about, ", "))
	case event.NudgeIssued:
		s = fmt.Sprintf("nudge_issued %s %s/%s, deliver at %s: %s [id %s]", e.Member, e.Kind, e.Reason,
			e.DeliverAt.UTC().Format(time.RFC3339), quote(e.Message), id)
	case event.NudgeDelivered:
		s = fmt.Sprintf("nudge_delivered %s %s/%s [id %s]", e.Member, e.Kind, e.Reason, e.NudgeID)
	case event.NudgeAcknowledged:
		s = fmt.Sprintf("nudge_acknowledged %s [id %s]", e.Member, e.NudgeID)
	case event.NudgeDismissed:
		s = fmt.Sprintf("nudge_dismissed %s [id %s]", e.Member, e.NudgeID)
	case event.NudgeCancelled:
		s = fmt.Sprintf("nudge_cancelled %s: %s [id %s]", e.Member, e.Reason, e.NudgeID)
	case event.AllowanceBoosted:
		who := "member " + e.Member
		if e.Team != "" {
			who = "team " + e.Team
		}
		s = fmt.Sprintf("allowance_boosted +%d %s %s..%s%s", e.Points, who, e.From, e.To, suffix(e.Reason))
	default:
		return "", false
	}
	return s, true
}

// suffix is ": s", or nothing for an empty s.
func suffix(s string) string {
	if s = short(s); s == "" {
		return ""
	}
	return ": " + s
}

// quote shows free text quoted, on one line, shortened.
func quote(s string) string { return strconv.Quote(short(s)) }

// short puts free text on one line and cuts it to at most messageWidth
// characters.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= messageWidth {
		return s
	}
	cut := string([]rune(s)[:messageWidth-1])
	// End on a whole word when that keeps most of the text.
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ") + "…"
}
