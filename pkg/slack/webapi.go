package slack

import (
	"context"
	"net/url"
)

// bot makes the Web API calls of one tenant's app, with its token.
type bot struct {
	api   API
	token string
}

// block is one Block Kit block, as JSON.
type block = map[string]any

// message is a message of a conversation as the Web API gives it.
type message struct {
	TS   string `json:"ts"`
	Text string `json:"text"`
	User string `json:"user"`
}

// email returns the e-mail address of a Slack user's profile ("" when
// Slack shows none: a bot, or an app without users:read.email).
func (b bot) email(ctx context.Context, user string) (string, error) {
	var out struct {
		User struct {
			Deleted bool `json:"deleted"`
			IsBot   bool `json:"is_bot"`
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
		} `json:"user"`
	}
	if err := b.api.Call(ctx, b.token, "users.info", url.Values{"user": {user}}, &out); err != nil {
		return "", err
	}
	if out.User.Deleted || out.User.IsBot {
		return "", nil
	}
	return out.User.Profile.Email, nil
}

// messageAt returns the message of the channel at ts: a message of the
// channel, or else a reply in a thread. Found is false when Slack has
// none there.
func (b bot) messageAt(ctx context.Context, channel, ts string) (message, bool, error) {
	var out struct {
		Messages []message `json:"messages"`
	}
	args := url.Values{"channel": {channel}, "latest": {ts}, "inclusive": {"true"}, "limit": {"1"}}
	if err := b.api.Call(ctx, b.token, "conversations.history", args, &out); err != nil {
		return message{}, false, err
	}
	for _, m := range out.Messages {
		if m.TS == ts {
			return m, true, nil
		}
	}
	// Not in the channel's history: a reply in a thread, which only its
	// thread lists.
	out.Messages = nil
	args = url.Values{"channel": {channel}, "ts": {ts}, "oldest": {ts}, "latest": {ts}, "inclusive": {"true"}, "limit": {"1"}}
	if err := b.api.Call(ctx, b.token, "conversations.replies", args, &out); err != nil {
		return message{}, false, err
	}
	for _, m := range out.Messages {
		if m.TS == ts {
			return m, true, nil
		}
	}
	return message{}, false, nil
}

// post posts a message to a channel and returns its ts.
func (b bot) post(ctx context.Context, channel, text string, blocks []block) (string, error) {
	args := map[string]any{"channel": channel, "text": text, "unfurl_links": false}
	if blocks != nil {
		args["blocks"] = blocks
	}
	var out struct {
		TS string `json:"ts"`
	}
	err := b.api.Call(ctx, b.token, "chat.postMessage", args, &out)
	return out.TS, err
}

// openDM opens (or finds) the direct message conversation with a user.
func (b bot) openDM(ctx context.Context, user string) (string, error) {
	var out struct {
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	err := b.api.Call(ctx, b.token, "conversations.open", map[string]any{"users": user}, &out)
	return out.Channel.ID, err
}

// update replaces the message at ts in channel.
func (b bot) update(ctx context.Context, channel, ts, text string, blocks []block) error {
	args := map[string]any{"channel": channel, "ts": ts, "text": text}
	if blocks != nil {
		args["blocks"] = blocks
	}
	return b.api.Call(ctx, b.token, "chat.update", args, nil)
}

// whisper posts a message in channel that only user sees.
func (b bot) whisper(ctx context.Context, channel, user, text string) error {
	return b.api.Call(ctx, b.token, "chat.postEphemeral", map[string]any{"channel": channel, "user": user, "text": text}, nil)
}
