package teams

import (
	"fmt"
	"strings"

	"github.com/plaudit/plaudit/pkg/chat"
	"github.com/plaudit/plaudit/pkg/command"
	"github.com/plaudit/plaudit/pkg/event"
)

// Post is what a workflow ("when a Teams webhook request is received")
// is sent: a message with one Adaptive Card, and, for the workflow to
// route it by, who and what it is about.
type Post struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
	// Plaudit says what the card is about, for the workflow's
	// conditions and its "post in a chat with" step (a nudge goes to its
	// member: teams_user_id, else email).
	Plaudit Routing `json:"plaudit"`
}

// Attachment is a message attachment: an Adaptive Card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// ContentTypeCard is an Adaptive Card attachment's content type.
const ContentTypeCard = "application/vnd.microsoft.card.adaptive"

// Card is an Adaptive Card, version 1.4 (what Teams renders).
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	// MSTeams carries the card's mentions: Teams renders <at>Name</at> in
	// a TextBlock as a mention of the entity with that text.
	MSTeams *MSTeams `json:"msteams,omitempty"`
}

// Element is a card element: a TextBlock or a FactSet.
type Element struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	Wrap   bool   `json:"wrap,omitempty"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
	Facts  []Fact `json:"facts,omitempty"`
}

// Fact is a FactSet's line.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// MSTeams is the Teams extension of a card.
type MSTeams struct {
	Width    string    `json:"width,omitempty"`
	Entities []Mention `json:"entities,omitempty"`
}

// Mention is a card's mention of a person, by Entra object id or by
// user principal name (e-mail).
type Mention struct {
	Type      string    `json:"type"`
	Text      string    `json:"text"`
	Mentioned Mentioned `json:"mentioned"`
}

// Mentioned is who a Mention is of.
type Mentioned struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Routing says what a card is about and who it is for.
type Routing struct {
	Kind    string `json:"kind"` // "kudos" or "nudge"
	Tenant  string `json:"tenant"`
	EventID string `json:"event_id"`
	// Member is the nudge's member, with their Teams identity and e-mail
	// when the directory has them.
	Member      string `json:"member,omitempty"`
	Name        string `json:"name,omitempty"`
	TeamsUserID string `json:"teams_user_id,omitempty"`
	Email       string `json:"email,omitempty"`
}

func post(card Card, r Routing) Post {
	card.Schema, card.Type, card.Version = "http://adaptivecards.io/schemas/adaptive-card.json", "AdaptiveCard", "1.4"
	return Post{Type: "message", Attachments: []Attachment{{ContentType: ContentTypeCard, Content: card}}, Plaudit: r}
}

// person is a member as a card names them: a mention when Teams can tell
// who they are, else their name.
func person(m command.Member, ok bool, id string, mentions *[]Mention) string {
	if !ok {
		return id
	}
	name := m.Name
	if name == "" {
		name = m.Member
	}
	who := m.TeamsUserID
	if who == "" {
		who = m.Email
	}
	if who == "" {
		return name
	}
	text := "<at>" + name + "</at>"
	*mentions = append(*mentions, Mention{Type: "mention", Text: text, Mentioned: Mentioned{ID: who, Name: name}})
	return text
}

// kudosCard is the card of a public kudos: who recognised whom, the
// points, the values and the message.
func kudosCard(dir *command.Directory, tenant, id string, k event.KudosGiven) Post {
	var mentions []Mention
	g, ok := dir.Member(tenant, k.Giver)
	giver := person(g, ok, k.Giver, &mentions)
	names := make([]string, 0, len(k.Recipients))
	for _, r := range k.Recipients {
		m, ok := dir.Member(tenant, r)
		names = append(names, person(m, ok, r, &mentions))
	}
	points := fmt.Sprintf("%d", k.Points)
	if len(k.Recipients) > 1 {
		points += " each"
	}
	facts := []Fact{{Title: "Points", Value: points}}
	if len(k.Values) > 0 {
		facts = append(facts, Fact{Title: "Values", Value: "#" + strings.Join(k.Values, " #")})
	}
	card := Card{Body: []Element{
		{Type: "TextBlock", Text: giver + " recognised " + chat.And(names), Weight: "Bolder", Size: "Medium", Wrap: true},
		{Type: "TextBlock", Text: k.Message, Wrap: true},
		{Type: "FactSet", Facts: facts},
	}}
	if len(mentions) > 0 {
		card.MSTeams = &MSTeams{Entities: mentions}
	}
	return post(card, Routing{Kind: kindKudos, Tenant: tenant, EventID: id})
}

// nudgeCard is the card of a nudge delivered: addressed to its member,
// with the text the rules engine wrote.
func nudgeCard(dir *command.Directory, tenant, id string, n event.NudgeDelivered) Post {
	var mentions []Mention
	m, ok := dir.Member(tenant, n.Member)
	who := person(m, ok, n.Member, &mentions)
	card := Card{Body: []Element{
		{Type: "TextBlock", Text: "A nudge for " + who, Weight: "Bolder", Wrap: true},
		{Type: "TextBlock", Text: n.Message, Wrap: true},
	}}
	if n.About != "" {
		a, ok := dir.Member(tenant, n.About)
		name := n.About
		if ok && a.Name != "" {
			name = a.Name
		}
		card.Body = append(card.Body, Element{Type: "FactSet", Facts: []Fact{{Title: "About", Value: name}}})
	}
	if len(mentions) > 0 {
		card.MSTeams = &MSTeams{Entities: mentions}
	}
	r := Routing{Kind: "nudge", Tenant: tenant, EventID: id, Member: n.Member}
	if ok {
		r.Name, r.TeamsUserID, r.Email = m.Name, m.TeamsUserID, m.Email
	}
	return post(card, r)
}
