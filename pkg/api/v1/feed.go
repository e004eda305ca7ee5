package v1

import "time"

// QueryFeedPage asks the feed projection for one page of a feed; GET
// /v1/feed answers with it.
var QueryFeedPage = declare(Query{"feed.page", "", 0, FeedRequest{}, FeedPage{}})

// FeedQuery asks for one page of a feed.
type FeedQuery struct {
	Tenant string `json:"tenant"`
	// Scope is "tenant", "team:<id>" or "member:<id>".
	Scope string `json:"scope"`
	// Direction, for a member scope: "received" (default) or "given".
	Direction string `json:"direction,omitempty"`
	// Value keeps only kudos tagged with this company value.
	Value string `json:"value,omitempty"`
	// Limit is the page's size, 1 to 100; 0 asks for the default, 20.
	Limit int `json:"limit,omitempty"`
	// Cursor is the NextCursor of the page before; empty for the first.
	Cursor string `json:"cursor,omitempty"`
	// Viewer is the member reading; private kudos show only to their
	// giver and recipients.
	Viewer string `json:"viewer,omitempty"`
}

// FeedRequest is the request of QueryFeedPage: the query, and the stream
// sequence the answer must reflect (read your writes).
type FeedRequest struct {
	FeedQuery
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// ReadAfter is the stream sequence the answer must reflect.
func (r FeedRequest) ReadAfter() uint64 { return r.MinSeq }

// FeedPage is the answer of QueryFeedPage: one page of a feed, newest
// first. NextCursor is empty on the last page.
type FeedPage struct {
	Items      []FeedItem `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// FeedItem is one kudos as feeds show it.
type FeedItem struct {
	ID         string    `json:"id"`
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Giver      string    `json:"giver"`
	Recipients []string  `json:"recipients"`
	Message    string    `json:"message"`
	Values     []string  `json:"values"`
	Points     int       `json:"points"`
	Visibility string    `json:"visibility"`
	Channel    string    `json:"channel"`
	// Reactions counts the reactions by emoji.
	Reactions map[string]int `json:"reactions"`
	// Teams are the teams of the giver and recipients when it was given:
	// the team feeds it is in.
	Teams []string `json:"teams,omitempty"`
}
