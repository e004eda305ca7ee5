package teams

import (
	"encoding/json"
	"errors"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Activity is the part of a Bot Framework activity that an outgoing
// webhook posts which the integration reads.
type Activity struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	// Text is HTML-ish: mentions as <at>Name</at>, entities escaped,
	// perhaps a <p> or a <br>.
	Text         string       `json:"text"`
	From         Account      `json:"from"`
	Conversation Conversation `json:"conversation"`
	Entities     []Entity     `json:"entities"`
}

// Account is who sent an activity, or who a mention is of.
type Account struct {
	// ID is the Teams user id ("29:…"), unknown to Plaudit.
	ID   string `json:"id"`
	Name string `json:"name"`
	// AADObjectID is the Microsoft Entra object id: a member's
	// teams_user_id. Outgoing webhooks send it for the sender only.
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// Conversation is the channel thread an activity was posted in.
type Conversation struct {
	ID string `json:"id"`
}

// Entity is one of an activity's entities; the integration reads its
// mentions.
type Entity struct {
	Type      string  `json:"type"`
	Text      string  `json:"text,omitempty"`
	Mentioned Account `json:"mentioned"`
}

// maxActivityText bounds the text read: a kudos message is far shorter.
const maxActivityText = 16 << 10

// ParseActivity decodes an activity, refusing one that is not a message
// with an id, a conversation and a sender.
func ParseActivity(body []byte) (Activity, error) {
	var a Activity
	if err := json.Unmarshal(body, &a); err != nil {
		return Activity{}, errors.New("the body is not a Teams activity (JSON)")
	}
	switch {
	case a.Type != "message":
		return Activity{}, errors.New("the activity is not a message")
	case a.ID == "" || a.Conversation.ID == "":
		return Activity{}, errors.New("the activity has no id or conversation")
	case len(a.Text) > maxActivityText:
		return Activity{}, errors.New("the activity's text is too long")
	}
	return a, nil
}

// mention is a mention in a message: the name shown, and the Entra
// object id when the activity carries one.
type mention struct {
	name string
	aad  string
}

// parsed is what a message asks for: who, how many points each (0: not
// said), which values, and the message, as plain text.
type parsed struct {
	Mentions []mention
	Points   int
	Values   []string
	Message  string
}

// token is a word of a message or a mention in it.
type token struct {
	text    string
	mention *mention
	// glued: the word follows a mention with no space between ("'s").
	glued bool
}

var tag = regexp.MustCompile(`<[^>]*>`)

// plain is HTML-ish text as plain text: tags dropped (a <br> or <p> is a
// space), entities unescaped, non-breaking spaces made spaces.
func plain(s string) string {
	s = tag.ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	return strings.ReplaceAll(s, "\u00a0", " ")
}

// tokens splits an activity's text into words and mentions, in order,
// each mention with what the entity of the same markup says of it.
func tokens(text string, entities []Entity) []token {
	var out []token
	words := func(s string) {
		p := plain(s)
		glued := len(out) > 0 && out[len(out)-1].mention != nil && p != "" && !unicode.IsSpace(rune(p[0]))
		for _, w := range strings.Fields(p) {
			out = append(out, token{text: w, glued: glued})
			glued = false
		}
	}
	used := make([]bool, len(entities))
	for {
		i := strings.Index(text, "<at>")
		j := strings.Index(text, "</at>")
		if i < 0 || j < i {
			words(text)
			return out
		}
		words(text[:i])
		markup, inner := text[i:j+len("</at>")], text[i+len("<at>"):j]
		m := &mention{name: strings.Join(strings.Fields(plain(inner)), " ")}
		for k, e := range entities {
			if !used[k] && e.Type == "mention" && e.Text == markup {
				used[k] = true
				m.aad = strings.ToLower(strings.TrimSpace(e.Mentioned.AADObjectID))
				if n := strings.Join(strings.Fields(e.Mentioned.Name), " "); n != "" {
					m.name = n
				}
				break
			}
		}
		out = append(out, token{text: m.name, mention: m})
		text = text[j+len("</at>"):]
	}
}

// parseGive reads a message posted to the outgoing webhook: the first
// mention is the webhook's own and is dropped; then, in any order, the
// mentions of the people recognised, "+N" points each and "#value" tags;
// the rest is the message, in which a mention reads as the name.
//
//	<at>Plaudit</at> <at>Bo Berg</at> <at>Cy Chen</at> +2 #ownership for staying on the bridge
func parseGive(text string, entities []Entity) parsed {
	toks := tokens(text, entities)
	for i, tk := range toks {
		if tk.mention != nil {
			toks = append(toks[:i:i], toks[i+1:]...)
			break
		}
	}
	var g parsed
	i := 0
lead:
	for ; i < len(toks); i++ {
		tk := toks[i]
		switch {
		case tk.mention != nil:
			g.Mentions = append(g.Mentions, *tk.mention)
		case g.Points == 0 && isPoints(tk.text):
			g.Points, _ = strconv.Atoi(tk.text[1:])
		case isValue(tk.text):
			v := strings.ToLower(strings.TrimRight(tk.text[1:], ",.;:!"))
			if !slices.Contains(g.Values, v) {
				g.Values = append(g.Values, v)
			}
		default:
			break lead
		}
	}
	var msg strings.Builder
	for k, tk := range toks[i:] {
		if k > 0 && !tk.glued {
			msg.WriteByte(' ')
		}
		msg.WriteString(tk.text)
	}
	g.Message = msg.String()
	return g
}

// isPoints reports whether w is "+N", N from 1 to 999.
func isPoints(w string) bool {
	if len(w) < 2 || len(w) > 4 || w[0] != '+' {
		return false
	}
	n, err := strconv.Atoi(w[1:])
	return err == nil && n > 0 && w[1] != '0'
}

// isValue reports whether w is a "#tag" of letters, digits, '-' and '_'
// (trailing punctuation aside).
func isValue(w string) bool {
	w = strings.TrimRight(w, ",.;:!")
	if len(w) < 2 || w[0] != '#' {
		return false
	}
	for _, r := range w[1:] {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
