package slack

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kudosText is a /kudos command's text, read: who, how many points each,
// which values, and the message.
type kudosText struct {
	users   []string // Slack user ids, in order, each once
	points  int
	values  []string
	message string
}

// maxPoints is the most points the parser takes; the kudos_given schema
// and the allowance decide the rest.
const maxPoints = 100

// Slack's escapes in the text of a command whose manifest sets
// should_escape: <@U024BE7LH|bo> or <@U024BE7LH> for a person,
// <#C024BE91L|general> for a channel.
var (
	userRef    = regexp.MustCompile(`^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$`)
	channelRef = regexp.MustCompile(`^<#[CG][A-Z0-9]{2,20}\|([^>]+)>$`)
	anyRef     = regexp.MustCompile(`<([@#!])([^>|]*)(?:\|([^>]*))?>`)
	linkRef    = regexp.MustCompile(`<((?:https?|mailto):[^>|]*)(?:\|([^>]*))?>`)
	valueTag   = regexp.MustCompile(`^#([\p{L}\p{N}_-]{1,64})$`)
)

// errUsage is a /kudos text that is not a kudos; the answer shows how.
var errUsage = errors.New("slack: not a kudos command")

// usage is the answer to a /kudos that is not one.
const usage = "Give kudos like this: `/kudos @bo @cy +2 #ownership for staying on the outage bridge until it closed`: " +
	"the people, optionally +points each (1 unless you say) and #values, then what they did and why it mattered."

// parseKudos reads a /kudos text: first the people (mentions), +N and
// #value tags in any order, then the message, which is the rest. Slack's
// escapes in the message are written as people read them (@bo, #general).
func parseKudos(text string) (kudosText, error) {
	k := kudosText{points: 1}
	rest := strings.TrimSpace(text)
	pointsSet := false
	for rest != "" {
		tok, after, _ := strings.Cut(rest, " ")
		if i := strings.IndexAny(tok, "\t\n"); i >= 0 {
			tok, after = tok[:i], rest[i+1:]
		}
		switch {
		case userRef.MatchString(tok):
			id := userRef.FindStringSubmatch(tok)[1]
			if !contains(k.users, id) {
				k.users = append(k.users, id)
			}
		case strings.HasPrefix(tok, "+") && !pointsSet:
			n, err := strconv.Atoi(tok[1:])
			if err != nil || n < 1 || n > maxPoints {
				return k, errUsage
			}
			k.points, pointsSet = n, true
		case valueTag.MatchString(tok):
			k.values = appendValue(k.values, valueTag.FindStringSubmatch(tok)[1])
		case channelRef.MatchString(tok):
			// A tag named like a channel comes escaped as the channel.
			k.values = appendValue(k.values, channelRef.FindStringSubmatch(tok)[1])
		default:
			k.message = readable(rest)
			rest = ""
			continue
		}
		rest = strings.TrimSpace(after)
	}
	if len(k.users) == 0 {
		return k, errUsage
	}
	return k, nil
}

func appendValue(values []string, v string) []string {
	v = strings.ToLower(v)
	if contains(values, v) {
		return values
	}
	return append(values, v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readable writes Slack's escapes as people read them: <@U1|bo> as @bo,
// <#C1|general> as #general, <!here> as @here, a link as its label or
// address; and &amp; &lt; &gt; as the characters.
func readable(s string) string {
	s = anyRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := anyRef.FindStringSubmatch(ref)
		kind, id, label := m[1], m[2], m[3]
		switch {
		case kind == "!" && label != "":
			return "@" + label
		case kind == "!":
			return "@" + strings.SplitN(id, "^", 2)[0]
		case label != "":
			return kind + label
		}
		return kind + id
	})
	s = linkRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := linkRef.FindStringSubmatch(ref)
		if m[2] != "" {
			return m[2]
		}
		return strings.TrimPrefix(m[1], "mailto:")
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.TrimSpace(s)
}

// escape writes text for Slack's mrkdwn: &, < and > are its markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// quote is a Slack message's text made fit to quote in a kudos: its
// escapes as people read them, on one line, without the characters the
// message rules refuse (invisible and control characters), and cut to
// max characters.
func quote(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range readable(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) || unicode.Is(unicode.Co, r) ||
			r == utf8.RuneError || (r >= '\uFE00' && r <= '\uFE0F'):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		runes := []rune(out)
		out = strings.TrimSpace(string(runes[:max-1])) + "…"
	}
	return out
}
