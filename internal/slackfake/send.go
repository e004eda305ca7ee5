package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sender sends requests to a tenant's Slack routes of Plaudit as Slack
// does, signed with the app's signing secret.
type Sender struct {
	// URL is the tenant's base: <plaudit>/v1/integrations/slack/<tenant>.
	URL    string
	Secret string
	// Team is the workspace the requests come from (team_id), DefaultTeam
	// when empty: Plaudit refuses a request that names none.
	Team string
	// Now dates the requests; time.Now when nil.
	Now    func() time.Time
	Client *http.Client
}

// DefaultTeam is the workspace of a Sender that names none.
const DefaultTeam = "T0FAKE"

func (s Sender) team() string {
	if s.Team == "" {
		return DefaultTeam
	}
	return s.Team
}

// Response is Plaudit's answer.
type Response struct {
	Status int
	Body   []byte
}

// Text is the "text" of a JSON answer (a slash command's reply).
func (r Response) Text() string {
	var v struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(r.Body, &v)
	return v.Text
}

// Signature is Slack's X-Slack-Signature of body at ts under secret,
// computed here apart from Plaudit's own code.
func Signature(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Post signs body as sent now and posts it to route ("commands",
// "events", "interactivity") with extra headers.
func (s Sender) Post(route, contentType string, body []byte, headers map[string]string) (Response, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(s.URL, "/")+"/"+route, strings.NewReader(string(body)))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Signature(s.Secret, ts, body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: b}, err
}

// CommandBody is the form Slack posts for a slash command.
func (s Sender) CommandBody(user, text, trigger string) []byte {
	return []byte(url.Values{
		"command": {"/kudos"}, "text": {text}, "user_id": {user}, "team_id": {s.team()},
		"channel_id": {"C0FAKE01"}, "trigger_id": {trigger}, "response_url": {"https://hooks.slack.com/commands/fake"},
	}.Encode())
}

// Command sends a /kudos slash command from user.
func (s Sender) Command(user, text, trigger string, headers map[string]string) (Response, error) {
	return s.Post("commands", "application/x-www-form-urlencoded", s.CommandBody(user, text, trigger), headers)
}

// ReactionBody is the Events API request of a reaction added (or, with
// removed, removed) by user to author's message at channel and ts.
func (s Sender) ReactionBody(eventID string, removed bool, user, author, channel, ts, emoji string) []byte {
	typ := "reaction_added"
	if removed {
		typ = "reaction_removed"
	}
	b, _ := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": s.team(), "event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{
			"type": typ, "user": user, "reaction": emoji, "item_user": author, "event_ts": ts,
			"item": map[string]any{"type": "message", "channel": channel, "ts": ts},
		},
	})
	return b
}

// Reaction sends a reaction event.
func (s Sender) Reaction(eventID string, removed bool, user, author, channel, ts, emoji string, headers map[string]string) (Response, error) {
	return s.Post("events", "application/json", s.ReactionBody(eventID, removed, user, author, channel, ts, emoji), headers)
}

// Click sends the block_actions payload of user clicking a button with
// actionID and value on the message at channel and ts.
func (s Sender) Click(user, actionID, value, channel, ts string) (Response, error) {
	p, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "team": map[string]any{"id": s.team()},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": ts},
		"message":   map[string]any{"ts": ts, "text": "a nudge"},
		"actions":   []any{map[string]any{"action_id": actionID, "value": value, "type": "button"}},
	})
	return s.Post("interactivity", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(p)}}.Encode()), nil)
}
