package event

import (
	"sort"
	"strings"
)

// kind decodes one type and version into the newest Go type of its event.
type kind struct {
	decode func(raw []byte, unmarshal func([]byte, any) error) (Data, error)
}

// as registers the newest version of an event: its data decodes into T.
func as[T Data]() kind {
	return kind{decode: func(raw []byte, unmarshal func([]byte, any) error) (Data, error) {
		var v T
		err := unmarshal(raw, &v)
		return v, err
	}}
}

// upcast registers an older version: read as T, then turned into the
// newest version it means.
func upcast[T Data](up func(T) Data) kind {
	return kind{decode: func(raw []byte, unmarshal func([]byte, any) error) (Data, error) {
		var v T
		if err := unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return up(v), nil
	}}
}

// registry maps every known type and version to its decoder.
var registry = map[string]kind{
	TypeKudosGiven:        as[KudosGiven](),
	TypeReactionAdded:     as[ReactionAdded](),
	TypeKudosRetracted:    as[KudosRetracted](),
	TypeRatingReceived:    as[RatingReceived](),
	TypeMemberUpserted:    as[MemberUpserted](),
	TypeMemberLeft:        as[MemberLeft](),
	TypePolicySet:         as[PolicySet](),
	TypePolicySetV1:       upcast(func(d PolicySetV1) Data { return d.Upcast() }),
	TypeAllowanceBoosted:  as[AllowanceBoosted](),
	TypeRatingCorrected:   as[RatingCorrected](),
	TypeRatingWithdrawn:   as[RatingWithdrawn](),
	TypePreferencesSet:    as[PreferencesSet](),
	TypeNudgeIssued:       as[NudgeIssued](),
	TypeNudgeDelivered:    as[NudgeDelivered](),
	TypeNudgeAcknowledged: as[NudgeAcknowledged](),
	TypeNudgeDismissed:    as[NudgeDismissed](),
	TypeNudgeCancelled:    as[NudgeCancelled](),
}

// Types lists every registered type, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// SchemaFile is the file name of a type's JSON Schema under schemas/events:
// "plaudit.recognition.kudos_given.v1" -> "recognition.kudos_given.v1.json".
func SchemaFile(eventType string) string {
	return strings.TrimPrefix(eventType, Prefix+".") + ".json"
}
