package event

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// KudosFilters select every kudos given and retracted, of every tenant:
// one filter, since nothing else is stored under kudos. (A consumer of
// several filters costs nats-server a walk of every subject of a message
// block for each message it delivers: over a stream of many givers, a
// hundred times the single filter's.)
var KudosFilters = []string{subj(Prefix, "*", "kudos", "*", "*")}

// ReactionSubject holds one member's reactions to one kudos.
func ReactionSubject(tenant, kudosID, member string) string {
	return subj(Prefix, tenant, "reaction", kudosID, member, "added")
}

// RatingShards is how many shard subjects the ratings of one platform are
// spread over, per tenant. An interaction's shard is the first byte of its
// InteractionKey, so the server keeps 3 × RatingShards subjects per tenant
// and platform (received, corrected, withdrawn), however many interactions
// are rated. Changing it moves every interaction: it is part of the
// taxonomy.
const RatingShards = 256

// RatingSubject is the subject of a rating event of one interaction on one
// platform: its shard's, which the ratings of about one interaction in
// RatingShards share. event is "received", "corrected" or "withdrawn".
func RatingSubject(tenant, platform, interactionID, event string) string {
	return subj(Prefix, tenant, "rating", platform, ShardToken(RatingShard(interactionID)), event)
}

// RatingShardFilter selects every event of the shard an interaction is
// in: what a rating command is conditioned on.
func RatingShardFilter(tenant, platform, interactionID string) string {
	return subj(Prefix, tenant, "rating", platform, ShardToken(RatingShard(interactionID)), "*")
}

// RatingFilters select every rating event of every tenant, on shard
// subjects and on the per-interaction subjects of streams written before
// the shards (LegacyRatingSubject).
var RatingFilters = []string{subj(Prefix, "*", "rating", ">")}

// RatingShard is the shard of an interaction id: the first byte of its
// InteractionKey.
func RatingShard(interactionID string) int {
	sum := sha256.Sum256([]byte(interactionID))
	return int(sum[0])
}

// ShardToken is the subject token of shard n: "s" and three decimal digits.
func ShardToken(n int) string { return fmt.Sprintf("s%03d", n) }

// LegacyRatingSubject is the subject a rating event had before the shards:
// one subject family per interaction, keyed by its InteractionKey. Streams
// written then keep these events; nothing new is appended to them.
func LegacyRatingSubject(tenant, platform, interactionID, event string) string {
	return subj(Prefix, tenant, "rating", platform, InteractionKey(interactionID), event)
}

// InteractionKey is the digest of a platform's interaction id: the first
// 128 bits of its SHA-256, hex encoded. It is the key token of a
// LegacyRatingSubject and the value of the InteractionHeader of a rating
// event on a shard.
func InteractionKey(interactionID string) string {
	sum := sha256.Sum256([]byte(interactionID))
	return hex.EncodeToString(sum[:16])
}

// InteractionHeader is the NATS header carrying the InteractionKey of a
// rating event appended on a shard subject, so that a reader may find one
// interaction's events without decoding every rating of the shard.
const InteractionHeader = "Plaudit-Interaction"

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
