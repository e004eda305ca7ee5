package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Every event type checks the constraints its schema's $defs/data asserts
// (schemas/events), so that a consumer refuses what the contract refuses.
// Running a JSON Schema validator on every event would cost more than the
// rest of a projector's catch-up, so the checks are written out in Go,
// without regular expressions and without allocating when the data is valid.
// Only what the schemas assert is checked: rules their descriptions state
// but no keyword enforces (a boost's to not before its from, recipients
// other than the giver, spent = points × recipients) are the write side's.
// FuzzValidateMatchesSchema holds Decode, and so these checks, to the
// schemas.
//
// The decoded Go value cannot tell everything the schemas judge: a field
// absent, null or "" decodes to the zero value, and encoding/json matches
// field names case-insensitively. Decode checks those on the raw JSON
// (fields.check) before Validate sees the value.

// Validate reports the first constraint of its schema that d breaks.
func (d KudosGiven) Validate() error {
	if err := checkID("giver", d.Giver); err != nil {
		return err
	}
	if err := checkIDs("recipients", d.Recipients, 1, 20); err != nil {
		return err
	}
	if err := checkLength("message", d.Message, 1, 2000); err != nil {
		return err
	}
	if err := checkIDs("values", d.Values, 0, 10); err != nil {
		return err
	}
	if err := checkRange("points", d.Points, 1, 100); err != nil {
		return err
	}
	if d.Visibility != Public && d.Visibility != Private {
		return fmt.Errorf("visibility: must be %q or %q, got %q", Public, Private, d.Visibility)
	}
	switch d.Channel {
	case ChannelAPI, ChannelCLI, ChannelChat, ChannelRule:
	default:
		return fmt.Errorf("channel: must be %q, %q, %q or %q, got %q", ChannelAPI, ChannelCLI, ChannelChat, ChannelRule, d.Channel)
	}
	if d.Cause != nil {
		if d.Cause.EventID == "" {
			return errors.New("cause.event_id: must not be empty")
		}
		if d.Cause.Type == "" {
			return errors.New("cause.type: must not be empty")
		}
	}
	if err := checkPeriodKey("period", d.Period); err != nil {
		return err
	}
	return checkRange("spent", d.Spent, 0, 2000)
}

// Validate reports the first constraint of its schema that d breaks.
func (d ReactionAdded) Validate() error {
	if err := checkUUID("kudos_id", d.KudosID); err != nil {
		return err
	}
	if err := checkID("member", d.Member); err != nil {
		return err
	}
	if !validEmoji(d.Emoji) {
		return fmt.Errorf("emoji: must be one emoji of at most 10 code points or a :short_code: of at most 64 characters, got %q", d.Emoji)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d KudosRetracted) Validate() error {
	if err := checkUUID("kudos_id", d.KudosID); err != nil {
		return err
	}
	if err := checkID("giver", d.Giver); err != nil {
		return err
	}
	if err := checkID("by", d.By); err != nil {
		return err
	}
	if d.ByRole != ByGiver && d.ByRole != ByAdmin {
		return fmt.Errorf("by_role: must be %q or %q, got %q", ByGiver, ByAdmin, d.ByRole)
	}
	if err := checkLength("reason", d.Reason, 1, 500); err != nil {
		return err
	}
	if err := checkPeriodKey("period", d.Period); err != nil {
		return err
	}
	return checkRange("refunded", d.Refunded, 0, 2000)
}

// Validate reports the first constraint of its schema that d breaks.
func (d RatingReceived) Validate() error {
	if err := checkRated(d.Platform, d.InteractionID, d.Agent); err != nil {
		return err
	}
	switch d.Scale {
	case ScaleStars5, ScaleCSAT5:
		if err := checkRange("score", d.Score, 1, 5); err != nil {
			return fmt.Errorf("%w on %s", err, d.Scale)
		}
	case ScaleNPS10:
		if err := checkRange("score", d.Score, 0, 10); err != nil {
			return err
		}
	default:
		return fmt.Errorf("scale: must be %q, %q or %q, got %q", ScaleStars5, ScaleCSAT5, ScaleNPS10, d.Scale)
	}
	if d.Comment != "" { // absent; present and empty is refused by fields.check
		if err := checkLength("comment", d.Comment, 1, 2000); err != nil {
			return err
		}
	}
	switch d.Channel {
	case InteractionVoice, InteractionChat, InteractionEmail, InteractionOther:
	default:
		return fmt.Errorf("channel: must be %q, %q, %q or %q, got %q", InteractionVoice, InteractionChat, InteractionEmail, InteractionOther, d.Channel)
	}
	if err := checkRange("handle_time_seconds", d.HandleTimeSeconds, 0, 86400); err != nil {
		return err
	}
	// The schema's pattern wants UTC with a Z; decoding an offset, even
	// +00:00, gives another location. How the fraction was written is
	// checked on the raw JSON.
	if d.OccurredAt.Location() != time.UTC {
		return fmt.Errorf("occurred_at: must be in UTC (Z), got %s", d.OccurredAt.Format(time.RFC3339Nano))
	}
	if y := d.OccurredAt.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("occurred_at: year %d is not four digits", y)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d MemberUpserted) Validate() error {
	if err := checkID("member", d.Member); err != nil {
		return err
	}
	if err := checkLength("name", d.Name, 1, 200); err != nil {
		return err
	}
	if err := checkID("team", d.Team); err != nil {
		return err
	}
	if d.Manager != "" { // absent; present and empty is refused by fields.check
		if err := checkID("manager", d.Manager); err != nil {
			return err
		}
	}
	if !validTimeZone(d.TimeZone) {
		return fmt.Errorf("time_zone: must be an IANA name such as Europe/Lisbon, got %q", d.TimeZone)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d MemberLeft) Validate() error {
	if err := checkID("member", d.Member); err != nil {
		return err
	}
	if d.Reason != "" {
		return checkLength("reason", d.Reason, 1, 500)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d PolicySetV1) Validate() error {
	if err := checkRange("allowance.amount", d.Allowance.Amount, 1, 1000); err != nil {
		return err
	}
	switch d.Allowance.Period {
	case PeriodDay, PeriodWeek, PeriodMonth:
	default:
		return fmt.Errorf("allowance.period: must be %q, %q or %q, got %q", PeriodDay, PeriodWeek, PeriodMonth, d.Allowance.Period)
	}
	if err := checkIDs("values", d.Values, 0, 50); err != nil {
		return err
	}
	return checkRange("message_rules.min_length", d.MessageRules.MinLength, 1, 500)
}

// Validate reports the first constraint of its schema that d breaks.
func (d PolicySet) Validate() error {
	if err := (PolicySetV1{Allowance: d.Allowance, Values: d.Values, MessageRules: d.MessageRules}).Validate(); err != nil {
		return err
	}
	r := d.Rules
	if err := checkScores(r.RatingKudos, 4, 5, 7, 10, "rules.rating_kudos.stars_5", "rules.rating_kudos.csat_5", "rules.rating_kudos.nps_10"); err != nil {
		return err
	}
	w := r.Wellness
	if err := checkRange("rules.wellness.long_interaction_minutes", w.LongInteractionMinutes, 5, 480); err != nil {
		return err
	}
	if err := checkScores(w.LowRating, 1, 3, 0, 6, "rules.wellness.low_rating.stars_5", "rules.wellness.low_rating.csat_5", "rules.wellness.low_rating.nps_10"); err != nil {
		return err
	}
	if err := checkRange("rules.wellness.run_length", w.RunLength, 2, 50); err != nil {
		return err
	}
	if err := checkRange("rules.wellness.break_minutes", w.BreakMinutes, 1, 120); err != nil {
		return err
	}
	if err := checkRange("rules.gap_days", r.GapDays, 1, 365); err != nil {
		return err
	}
	if err := checkRange("rules.giving_after_percent", r.GivingAfterPercent, 1, 99); err != nil {
		return err
	}
	n := d.Nudges
	if err := checkRange("nudges.daily_cap", n.DailyCap, 0, 20); err != nil {
		return err
	}
	for _, kind := range NudgeKinds {
		switch o := n.Offer(kind); o {
		case OptIn, OptOut, Off:
		default:
			return fmt.Errorf("nudges.%s: must be %q, %q or %q, got %q", kind, OptIn, OptOut, Off, o)
		}
	}
	return checkQuietHours(n.QuietHours, "nudges.quiet_hours.start", "nudges.quiet_hours.end")
}

// checkScores takes the three field names whole: building them would
// allocate on every valid event.
func checkScores(s Scores, lo5, hi5, lo10, hi10 int, stars, csat, nps string) error {
	if err := checkRange(stars, s.Stars5, lo5, hi5); err != nil {
		return err
	}
	if err := checkRange(csat, s.CSAT5, lo5, hi5); err != nil {
		return err
	}
	return checkRange(nps, s.NPS10, lo10, hi10)
}

func checkQuietHours(q QuietHours, start, end string) error {
	if !ValidClock(q.Start) {
		return fmt.Errorf("%s: must be a time of day HH:MM (00:00 to 23:59), got %q", start, q.Start)
	}
	if !ValidClock(q.End) {
		return fmt.Errorf("%s: must be a time of day HH:MM (00:00 to 23:59), got %q", end, q.End)
	}
	return nil
}

// ValidClock reports whether s is a time of day "HH:MM", 00:00 to 23:59.
func ValidClock(s string) bool {
	return len(s) == 5 && twoDigits(s[:2], 0, 23) && s[2] == ':' && twoDigits(s[3:], 0, 59)
}

// Validate reports the first constraint of its schema that d breaks.
func (d RatingCorrected) Validate() error {
	if err := d.Rating().Validate(); err != nil {
		return err
	}
	return checkReason(d.Reason)
}

// Validate reports the first constraint of its schema that d breaks.
func (d RatingWithdrawn) Validate() error {
	if err := checkRated(d.Platform, d.InteractionID, d.Agent); err != nil {
		return err
	}
	return checkReason(d.Reason)
}

// checkRated checks what names a rated interaction and its agent.
func checkRated(platform, interactionID, agent string) error {
	if err := checkID("platform", platform); err != nil {
		return err
	}
	if !validInteractionID(interactionID) {
		return fmt.Errorf("interaction_id: must be 1 to 128 letters, marks, digits, punctuation or symbols, got %q", interactionID)
	}
	return checkID("agent", agent)
}

// checkReason checks an optional reason: absent, or 1 to 500 characters.
func checkReason(reason string) error {
	if reason == "" {
		return nil
	}
	return checkLength("reason", reason, 1, 500)
}

// Validate reports the first constraint of its schema that d breaks.
func (d PreferencesSet) Validate() error {
	if err := checkID("member", d.Member); err != nil {
		return err
	}
	for _, kind := range NudgeKinds {
		switch c := d.Nudges.Of(kind); c {
		case "", ChoiceOn, ChoiceOff:
		default:
			return fmt.Errorf("nudges.%s: must be %q or %q, got %q", kind, ChoiceOn, ChoiceOff, c)
		}
	}
	if d.QuietHours != nil {
		return checkQuietHours(*d.QuietHours, "quiet_hours.start", "quiet_hours.end")
	}
	return nil
}

func checkNudge(member, kind, reason, message, about string) error {
	if err := checkID("member", member); err != nil {
		return err
	}
	switch kind {
	case NudgeWellness, NudgeGap, NudgeGiving:
	default:
		return fmt.Errorf("kind: must be %q, %q or %q, got %q", NudgeWellness, NudgeGap, NudgeGiving, kind)
	}
	switch reason {
	case ReasonLongInteraction, ReasonLowRating, ReasonNoBreak, ReasonRecognitionGap, ReasonAllowanceLeft:
	default:
		return fmt.Errorf("reason: must be one of %s, %s, %s, %s, %s, got %q",
			ReasonLongInteraction, ReasonLowRating, ReasonNoBreak, ReasonRecognitionGap, ReasonAllowanceLeft, reason)
	}
	if err := checkLength("message", message, 1, 500); err != nil {
		return err
	}
	if about != "" {
		return checkID("about", about)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d NudgeIssued) Validate() error {
	if err := checkNudge(d.Member, d.Kind, d.Reason, d.Message, d.About); err != nil {
		return err
	}
	if d.Cause != nil {
		if d.Cause.EventID == "" {
			return errors.New("cause.event_id: must not be empty")
		}
		if d.Cause.Type == "" {
			return errors.New("cause.type: must not be empty")
		}
	}
	if !validDate(d.Day) {
		return fmt.Errorf("day: must be a calendar date YYYY-MM-DD, got %q", d.Day)
	}
	if d.DeliverAt.Location() != time.UTC {
		return fmt.Errorf("deliver_at: must be in UTC (Z), got %s", d.DeliverAt.Format(time.RFC3339Nano))
	}
	if y := d.DeliverAt.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("deliver_at: year %d is not four digits", y)
	}
	if d.ExpiresAt.Location() != time.UTC {
		return fmt.Errorf("expires_at: must be in UTC (Z), got %s", d.ExpiresAt.Format(time.RFC3339Nano))
	}
	if y := d.ExpiresAt.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("expires_at: year %d is not four digits", y)
	}
	return nil
}

// Validate reports the first constraint of its schema that d breaks.
func (d NudgeCancelled) Validate() error {
	if err := checkUUID("nudge_id", d.NudgeID); err != nil {
		return err
	}
	if err := checkID("member", d.Member); err != nil {
		return err
	}
	switch d.Reason {
	case CancelExpired, CancelLeft, CancelNotWanted:
		return nil
	}
	return fmt.Errorf("reason: must be %q, %q or %q, got %q", CancelExpired, CancelLeft, CancelNotWanted, d.Reason)
}

// Validate reports the first constraint of its schema that d breaks.
func (d NudgeDelivered) Validate() error {
	if err := checkUUID("nudge_id", d.NudgeID); err != nil {
		return err
	}
	return checkNudge(d.Member, d.Kind, d.Reason, d.Message, d.About)
}

// Validate reports the first constraint of its schema that d breaks.
func (d NudgeAcknowledged) Validate() error {
	if err := checkUUID("nudge_id", d.NudgeID); err != nil {
		return err
	}
	return checkID("member", d.Member)
}

// Validate reports the first constraint of its schema that d breaks.
func (d NudgeDismissed) Validate() error {
	if err := checkUUID("nudge_id", d.NudgeID); err != nil {
		return err
	}
	return checkID("member", d.Member)
}

// Validate reports the first constraint of its schema that d breaks.
func (d AllowanceBoosted) Validate() error {
	if err := checkUUID("boost_id", d.BoostID); err != nil {
		return err
	}
	// Exactly one of member and team (oneOf); an empty one counts as
	// absent here, and fields.check refuses it when it is present.
	switch {
	case d.Member != "" && d.Team != "":
		return errors.New("member, team: exactly one may be present, got both")
	case d.Member != "":
		if err := checkID("member", d.Member); err != nil {
			return err
		}
	case d.Team != "":
		if err := checkID("team", d.Team); err != nil {
			return err
		}
	default:
		return errors.New("member, team: exactly one must be present, got neither")
	}
	if err := checkRange("points", d.Points, 1, 1000); err != nil {
		return err
	}
	if !validDate(d.From) {
		return fmt.Errorf("from: must be a calendar date YYYY-MM-DD, got %q", d.From)
	}
	if !validDate(d.To) {
		return fmt.Errorf("to: must be a calendar date YYYY-MM-DD, got %q", d.To)
	}
	if d.Reason != "" {
		if err := checkLength("reason", d.Reason, 1, 500); err != nil {
			return err
		}
	}
	return checkID("by", d.By)
}

func checkID(field, s string) error {
	if !ValidID(s) {
		return fmt.Errorf("%s: must be an id (1 to 64 of a-z, 0-9, '-', '_', not starting with '-' or '_'), got %q", field, s)
	}
	return nil
}

// checkIDs checks an array of ids: never null, minItems to maxItems items,
// unique. The lists are short (at most 50), so comparing each item with the
// ones before it is cheaper than a set.
func checkIDs(field string, ids []string, minItems, maxItems int) error {
	if ids == nil {
		return fmt.Errorf("%s: must be an array, got null", field)
	}
	if len(ids) < minItems || len(ids) > maxItems {
		return fmt.Errorf("%s: must have %d to %d items, got %d", field, minItems, maxItems, len(ids))
	}
	for i, id := range ids {
		if !ValidID(id) {
			return checkID(fmt.Sprintf("%s[%d]", field, i), id)
		}
		if slices.Contains(ids[:i], id) {
			return fmt.Errorf("%s[%d]: %q is there twice; items must be unique", field, i, id)
		}
	}
	return nil
}

// checkLength counts characters as JSON Schema does: Unicode code points,
// not bytes.
func checkLength(field, s string, minLen, maxLen int) error {
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen {
		return fmt.Errorf("%s: must be %d to %d characters, got %d", field, minLen, maxLen, n)
	}
	return nil
}

func checkRange(field string, n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("%s: must be between %d and %d, got %d", field, lo, hi, n)
	}
	return nil
}

// checkUUID checks envelope.v1.json#/$defs/uuid: format uuid and the
// lower-case pattern ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$.
// The schema asks no particular version.
func checkUUID(field, s string) error {
	ok := len(s) == 36
	for i := 0; ok && i < len(s); i++ {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			ok = c == '-'
		default:
			ok = ('0' <= c && c <= '9') || ('a' <= c && c <= 'f')
		}
	}
	if !ok {
		return fmt.Errorf("%s: must be a lower-case UUID, got %q", field, s)
	}
	return nil
}

// checkPeriodKey checks envelope.v1.json#/$defs/periodKey: day:YYYY-MM-DD
// (day 01 to 31 whatever the month, as the pattern has it), week:YYYY-Www
// (01 to 53) or month:YYYY-MM.
func checkPeriodKey(field, s string) error {
	var ok bool
	switch {
	case strings.HasPrefix(s, "day:"):
		d := s[len("day:"):]
		ok = len(d) == 10 && digits(d[:4]) && d[4] == '-' && twoDigits(d[5:7], 1, 12) && d[7] == '-' && twoDigits(d[8:], 1, 31)
	case strings.HasPrefix(s, "week:"):
		w := s[len("week:"):]
		ok = len(w) == 8 && digits(w[:4]) && w[4] == '-' && w[5] == 'W' && twoDigits(w[6:], 1, 53)
	case strings.HasPrefix(s, "month:"):
		m := s[len("month:"):]
		ok = len(m) == 7 && digits(m[:4]) && m[4] == '-' && twoDigits(m[5:], 1, 12)
	}
	if !ok {
		return fmt.Errorf("%s: must be day:YYYY-MM-DD, week:YYYY-Www or month:YYYY-MM, got %q", field, s)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// twoDigits reports whether s is two digits whose value is in [lo, hi].
func twoDigits(s string, lo, hi int) bool {
	if len(s) != 2 || !digits(s) {
		return false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return lo <= n && n <= hi
}

// validDate checks envelope.v1.json#/$defs/date: the pattern
// ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ and format date, a day that exists in the
// proleptic Gregorian calendar (year 0000 included, as time.Parse has it).
func validDate(s string) bool {
	if len(s) != 10 || !digits(s[:4]) || s[4] != '-' || s[7] != '-' || !twoDigits(s[5:7], 1, 12) || !digits(s[8:]) {
		return false
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	month := int(s[5]-'0')*10 + int(s[6]-'0')
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return twoDigits(s[8:], 1, days)
}

// validTimeZone checks the pattern ^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$:
// non-empty segments separated by single slashes. Whether the zone exists
// is not the schema's concern.
func validTimeZone(s string) bool {
	seg := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/':
			if seg == 0 {
				return false
			}
			seg = 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '+', c == '-':
			seg++
		default:
			return false
		}
	}
	return seg > 0
}

// validEmoji checks minLength 1, maxLength 64 and the pattern
// ^(:[a-z0-9_+-]+:|[^\p{L}\p{Nd}\p{P}\p{Cc}\p{Z}]{1,10})$. A colon is
// punctuation, so a value starting with one can only be a short code.
func validEmoji(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == ':' {
		if len(s) < 3 || len(s) > 64 || s[len(s)-1] != ':' {
			return false
		}
		for i := 1; i < len(s)-1; i++ {
			switch c := s[i]; {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '+', c == '-':
			default:
				return false
			}
		}
		return true
	}
	n := 0
	for _, r := range s {
		n++
		if n > 10 || unicode.Is(unicode.L, r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.P, r) ||
			unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Z, r) {
			return false
		}
	}
	return true
}

// validInteractionID checks minLength 1, maxLength 128 (code points) and
// the pattern ^[\p{L}\p{M}\p{N}\p{P}\p{S}]+$. Printable ASCII other than
// the space is all letters, digits, punctuation or symbols.
func validInteractionID(s string) bool {
	n := 0
	for _, r := range s {
		n++
		switch {
		case n > 128:
			return false
		case r < utf8.RuneSelf:
			if r <= ' ' || r == 0x7f {
				return false
			}
		case !unicode.Is(unicode.L, r) && !unicode.Is(unicode.M, r) && !unicode.Is(unicode.N, r) &&
			!unicode.Is(unicode.P, r) && !unicode.Is(unicode.S, r):
			return false
		}
	}
	return n > 0
}

// fields is what a data type's JSON object may hold, taken from the Go
// type's json tags: a field is required unless it is omitempty (a rule
// TestDataFieldsMatchSchema holds the schemas to).
type fields struct {
	names    []string
	required uint32    // bit i: names[i] must be present
	times    uint32    // bit i: names[i] holds a time.Time
	nested   []*fields // the object names[i] holds, or nil
}

// maxFields bounds the fields of one object, so that check can keep its
// state in fixed-size arrays on the stack.
const maxFields = 32

var timeType = reflect.TypeFor[time.Time]()

func fieldsOf(t reflect.Type) *fields {
	f := &fields{}
	for sf := range t.Fields() {
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if sf.Anonymous {
			panic(fmt.Sprintf("event: %s embeds %s; fields does not follow embedded structs", t, sf.Type))
		}
		if name == "" {
			name = sf.Name
		}
		bit := uint32(1) << len(f.names)
		f.names = append(f.names, name)
		if !slices.Contains(strings.Split(opts, ","), "omitempty") {
			f.required |= bit
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		var nested *fields
		switch {
		case ft == timeType:
			f.times |= bit
		case ft.Kind() == reflect.Struct:
			nested = fieldsOf(ft)
		}
		f.nested = append(f.nested, nested)
	}
	if len(f.names) > maxFields {
		panic(fmt.Sprintf("event: %s has more than %d fields", t, maxFields))
	}
	return f
}

// check checks what the decoded value cannot show of the JSON object b:
// every name is exactly one of the fields (encoding/json, and so the
// decoder, would take "Points" for "points"); every required field is
// there; no value is null or "", which no schema allows anywhere in data
// and which decode to the same zero value as an absent optional field; a
// time is written as the schemas' pattern has it. Like the decoders and the
// schema validator, check takes the last of repeated names.
func (f *fields) check(b []byte) error {
	s := scanner{b: b}
	s.space()
	if err := f.object(&s); err != nil {
		return err
	}
	s.space()
	if s.i != len(b) {
		return errSyntax
	}
	return nil
}

var errSyntax = errors.New("not a JSON object")

func (f *fields) object(s *scanner) error {
	if !s.next('{') {
		return errSyntax
	}
	var present uint32
	var errs [maxFields]error // the last occurrence's problem, per field
	s.space()
	if !s.next('}') {
		for {
			s.space()
			key, ok := s.string()
			if !ok {
				return errSyntax
			}
			i := f.index(key)
			if i < 0 {
				return fmt.Errorf("unknown field %q (names are case-sensitive)", unquote(key))
			}
			present |= 1 << i
			s.space()
			if !s.next(':') {
				return errSyntax
			}
			s.space()
			if errs[i] = f.value(s, i); errors.Is(errs[i], errSyntax) {
				return errSyntax
			}
			s.space()
			if s.next('}') {
				break
			}
			if !s.next(',') {
				return errSyntax
			}
		}
	}
	for _, err := range errs[:len(f.names)] {
		if err != nil {
			return err
		}
	}
	if missing := f.required &^ present; missing != 0 {
		return fmt.Errorf("%s: required", f.names[bits.TrailingZeros32(missing)])
	}
	return nil
}

// value checks the value of field i at s and moves past it.
func (f *fields) value(s *scanner, i int) error {
	name := f.names[i]
	start := s.i
	switch s.peek() {
	case 'n':
		if !s.literal("null") {
			return errSyntax
		}
		return fmt.Errorf("%s: must not be null", name)
	case '"':
		raw, ok := s.string()
		switch {
		case !ok:
			return errSyntax
		case len(raw) == 0:
			return fmt.Errorf("%s: must not be empty", name)
		case f.times&(1<<i) != 0 && !utcTimestamp(raw):
			return fmt.Errorf("%s: must be RFC 3339 in UTC with a Z and at most 9 fraction digits, got %s", name, s.b[start:s.i])
		}
		return nil
	case '{':
		if n := f.nested[i]; n != nil {
			if err := n.object(s); err != nil {
				if err == errSyntax {
					return err
				}
				return fmt.Errorf("%s.%w", name, err)
			}
			return nil
		}
	}
	if !s.skip() {
		return errSyntax
	}
	return nil
}

// index is the field named key, the raw bytes of a JSON string, or -1.
func (f *fields) index(key []byte) int {
	if slices.Contains(key, '\\') {
		// Escaped names are rare enough to afford an allocation.
		return slices.Index(f.names, unquote(key))
	}
	for i, name := range f.names {
		if string(key) == name {
			return i
		}
	}
	return -1
}

// unquote is the string whose raw JSON bytes, between the quotes, are raw.
func unquote(raw []byte) string {
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s); err != nil {
		return string(raw)
	}
	return s
}

// utcTimestamp reports whether raw, the bytes of a JSON string, matches
// ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$.
// The decoder has checked the date and time exist, but takes any number of
// fraction digits.
func utcTimestamp(raw []byte) bool {
	const prefix = len("2006-01-02T15:04:05")
	if len(raw) < prefix+1 || raw[len(raw)-1] != 'Z' {
		return false
	}
	for i, c := range raw[:prefix] {
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != 'T' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	frac := raw[prefix : len(raw)-1]
	if len(frac) == 0 {
		return true
	}
	return frac[0] == '.' && len(frac) >= 2 && len(frac) <= 10 && digits(string(frac[1:]))
}

// scanner walks JSON that the decoder has already accepted, checking only
// as much syntax as it needs not to lose its way.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) next(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// string moves past the string at s and returns its raw bytes, escapes
// left as they are, without the quotes.
func (s *scanner) string() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], true
		case '\\':
			s.i += 2
		default:
			s.i++
		}
	}
	return nil, false
}

// skip moves past any value.
func (s *scanner) skip() bool {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, ok := s.string(); !ok {
				return false
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return true // the end of the enclosing object
			}
			depth--
			s.i++
		case ',':
			if depth == 0 {
				return true
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 && s.i < len(s.b) {
			// A scalar ends at the first delimiter; a string or a
			// closed container has just ended.
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
		}
	}
	return depth == 0
}
