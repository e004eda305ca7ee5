package event

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix is the first token of every event subject. The taxonomy, a public
// contract documented in schemas/README.md, is
//
//	plaudit.<tenant>.<aggregate>.<key>[.<key>].<event>
//
// so that "plaudit.*.kudos.*.given" selects every kudos of every tenant and
// "plaudit.acme.>" everything of one tenant.
const Prefix = "plaudit"

// StreamSubjects is the subject filter of the event stream.
const StreamSubjects = Prefix + ".>"

// ValidID reports whether s may be used as a tenant, member, team or platform
// id: lower-case letters, digits, '-' and '_', starting with a letter or
// digit, at most 64 bytes. Such ids are safe as subject tokens.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

func subj(tokens ...string) string { return strings.Join(tokens, ".") }

// KudosSubject is the subject of a giver's kudos events; event is "given"
// or "retracted". All of one giver's kudos share it: their allowance
// aggregate is two subjects, whatever their history, so the conditional
// append that guards it costs the server the same on the first kudos and
// the ten-thousandth.
func KudosSubject(tenant, giver, event string) string {
	return subj(Prefix, tenant, "kudos", giver, event)
}

// GiverFilter selects every given and retracted event of one giver: the
// allowance aggregate that concurrent give requests are conditioned on.
func GiverFilter(tenant, giver string) string {
	return subj(Prefix, tenant, "kudos", giver, "*")
}

// KudosFilters select every kudos given and retracted, of every tenant.
var KudosFilters = []string{
	subj(Prefix, "*", "kudos", "*", "given"),
	subj(Prefix, "*", "kudos", "*", "retracted"),
}

// ReactionSubject holds one member's reactions to one kudos.
func ReactionSubject(tenant, kudosID, member string) string {
	return subj(Prefix, tenant, "reaction", kudosID, member, "added")
}

// RatingSubject holds the rating of one interaction on one platform. The
// interaction id comes from outside, so the subject carries its digest.
func RatingSubject(tenant, platform, interactionID, event string) string {
	return subj(Prefix, tenant, "rating", platform, InteractionKey(interactionID), event)
}

// RatingFilter selects every event of one rated interaction.
func RatingFilter(tenant, platform, interactionID string) string {
	return subj(Prefix, tenant, "rating", platform, InteractionKey(interactionID), "*")
}

// InteractionKey is the subject token for a platform's interaction id: the
// first 128 bits of its SHA-256, hex encoded.
func InteractionKey(interactionID string) string {
	sum := sha256.Sum256([]byte(interactionID))
	return hex.EncodeToString(sum[:16])
}

// MemberSubject is the subject of a directory event of one member.
func MemberSubject(tenant, member, event string) string {
	return subj(Prefix, tenant, "member", member, event)
}

// PolicySubject is the subject of the tenant's policy.
func PolicySubject(tenant string) string { return subj(Prefix, tenant, "policy", "set") }

// BoostSubject is the subject of an allowance boost.
func BoostSubject(tenant, boostID string) string {
	return subj(Prefix, tenant, "boost", boostID, "granted")
}

// NudgeSubject is the subject of one member's nudge events; event is
// "issued", "delivered", "acknowledged" or "dismissed". Chat integrations
// subscribe to "plaudit.*.nudge.*.delivered".
func NudgeSubject(tenant, member, event string) string {
	return subj(Prefix, tenant, "nudge", member, event)
}

// NudgeFilter selects every nudge event of one member: their nudge
// aggregate, which the daily cap is enforced on.
func NudgeFilter(tenant, member string) string {
	return subj(Prefix, tenant, "nudge", member, "*")
}

// TenantFilter selects every event of one tenant.
func TenantFilter(tenant string) string { return subj(Prefix, tenant, ">") }

// DirectoryFilters select the reference data the write side keeps in memory:
// members, policies and boosts of every tenant.
var DirectoryFilters = []string{
	subj(Prefix, "*", "member", ">"),
	subj(Prefix, "*", "policy", ">"),
	subj(Prefix, "*", "boost", ">"),
}
