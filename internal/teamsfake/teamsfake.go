// Package teamsfake is a stand-in for Microsoft Teams, for the tests and
// the README tour: a real HTTP server whose workflow endpoints
// ("when a Teams webhook request is received") record the Adaptive Cards
// posted to them, and can refuse with 429 and Retry-After a few times;
// and a client that signs and sends an outgoing-webhook activity to
// plauditd as Teams does. It shares no code with pkg/teams, so that it
// checks the wire format rather than echoing it.
package teamsfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake's HTTP server. Workflows are at
// <URL>/workflows/<name>; any name is one.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:<port>".
	URL string
	// OnPost, when set, is called with every card a workflow takes, on
	// the request's goroutine.
	OnPost func(Post)

	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	posts    []Post
	attempts map[string][]time.Time
	refusals []string
	throttle map[string]throttle
	gates    map[string]<-chan struct{}
	changed  chan struct{} // closed and replaced on every post taken
}

// throttle is how a workflow refuses its next posts.
type throttle struct {
	times int
	after int // Retry-After, in seconds
	gone  bool
}

// Post is a card a workflow took.
type Post struct {
	Workflow string
	At       time.Time
	// Body is the request body as sent.
	Body []byte
	// Card is its Adaptive Card's content, decoded.
	Card Card
	// Plaudit is the routing object sent beside the card, decoded.
	Plaudit map[string]any
}

// Card is the part of an Adaptive Card the fake reads.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	MSTeams struct {
		Entities []struct {
			Type      string `json:"type"`
			Text      string `json:"text"`
			Mentioned struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"mentioned"`
		} `json:"entities"`
	} `json:"msteams"`
}

// Element is a card element: a TextBlock's text, a FactSet's facts.
type Element struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Facts []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"facts"`
}

// Text is every text and fact of the card, one a line, as a person reads
// it ("Points: 2 each").
func (c Card) Text() string {
	var b strings.Builder
	for _, e := range c.Body {
		if e.Text != "" {
			b.WriteString(e.Text + "\n")
		}
		for _, f := range e.Facts {
			b.WriteString(f.Title + ": " + f.Value + "\n")
		}
	}
	return b.String()
}

// Start serves the fake on addr ("127.0.0.1:0" picks a free port).
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("teamsfake: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, throttle: map[string]throttle{}, gates: map[string]<-chan struct{}{}, attempts: map[string][]time.Time{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /workflows/{name}", s.serveWorkflow)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// WorkflowURL is the URL of the workflow name.
func (s *Server) WorkflowURL(name string) string { return s.URL + "/workflows/" + name }

// Throttle makes the workflow name answer its next times posts with 429
// Too Many Requests and Retry-After: after seconds.
func (s *Server) Throttle(name string, times, after int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[name] = throttle{times: times, after: after}
}

// Gate holds the workflow name's refusals (Throttle) until open is
// closed: the sender's next attempt comes only after the test did what
// it must do first.
func (s *Server) Gate(name string, open <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gates[name] = open
}

// Gone makes the workflow name answer 410 Gone from now on, as a deleted
// workflow does.
func (s *Server) Gone(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[name] = throttle{gone: true}
}

// Posts are the cards the workflow name took, oldest first.
func (s *Server) Posts(name string) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if p.Workflow == name {
			out = append(out, p)
		}
	}
	return out
}

// Attempts are when the workflow name was posted to, taken or not.
func (s *Server) Attempts(name string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts[name]...)
}

// Refusals are the posts the fake refused as malformed, and why.
func (s *Server) Refusals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refusals...)
}

// serveWorkflow is a workflow's trigger: it refuses as throttled, or
// takes a well-formed card.
func (s *Server) serveWorkflow(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.attempts[name] = append(s.attempts[name], time.Now())
	th := s.throttle[name]
	switch {
	case th.gone:
		s.mu.Unlock()
		http.Error(w, "this workflow was deleted", http.StatusGone)
		return
	case th.times > 0:
		th.times--
		s.throttle[name] = th
		gate := s.gates[name]
		s.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Retry-After", strconv.Itoa(th.after))
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	s.mu.Unlock()
	p, err := decodePost(name, body)
	if err != nil {
		s.mu.Lock()
		s.refusals = append(s.refusals, name+": "+err.Error())
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.posts = append(s.posts, p)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if s.OnPost != nil {
		s.OnPost(p)
	}
	// Power Automate accepts a webhook request with 202 and runs the
	// flow afterwards.
	w.WriteHeader(http.StatusAccepted)
}

// decodePost checks a body as a workflow's trigger and its "post card"
// step would: a message with one Adaptive Card attachment.
func decodePost(name string, body []byte) (Post, error) {
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string          `json:"contentType"`
			ContentURL  *string         `json:"contentUrl"`
			Content     json.RawMessage `json:"content"`
		} `json:"attachments"`
		Plaudit map[string]any `json:"plaudit"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return Post{}, errors.New("the body is not JSON")
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 {
		return Post{}, errors.New(`want {"type":"message","attachments":[one card]}`)
	}
	a := msg.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" {
		return Post{}, fmt.Errorf("attachment content type %q is no Adaptive Card", a.ContentType)
	}
	var c Card
	if err := json.Unmarshal(a.Content, &c); err != nil {
		return Post{}, errors.New("the card is not a JSON object")
	}
	if c.Type != "AdaptiveCard" || c.Version == "" || c.Schema == "" || len(c.Body) == 0 {
		return Post{}, errors.New("the card needs $schema, type AdaptiveCard, a version and a body")
	}
	return Post{Workflow: name, At: time.Now(), Body: body, Card: c, Plaudit: msg.Plaudit}, nil
}

// WaitPosts waits until the workflow name took at least n cards and
// returns them, or until ctx ends (then ctx's error and what it took).
func (s *Server) WaitPosts(ctx context.Context, name string, n int) ([]Post, error) {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if got := s.Posts(name); len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return s.Posts(name), ctx.Err()
		case <-changed:
		}
	}
}

// Activity is an outgoing webhook's activity, as Teams posts it.
type Activity struct {
	Type         string  `json:"type"`
	ID           string  `json:"id"`
	Timestamp    string  `json:"timestamp"`
	ServiceURL   string  `json:"serviceUrl"`
	ChannelID    string  `json:"channelId"`
	From         Account `json:"from"`
	Conversation struct {
		ID string `json:"id"`
	} `json:"conversation"`
	Text       string    `json:"text"`
	TextFormat string    `json:"textFormat"`
	Entities   []Mention `json:"entities"`
}

// Account is a Teams user.
type Account struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// Mention is an activity's mention entity.
type Mention struct {
	Type      string  `json:"type"`
	Mentioned Account `json:"mentioned"`
	Text      string  `json:"text"`
}

// NewActivity is the activity Teams posts when the user fromAAD (their
// Entra object id) posts text, in which <at>Name</at> is a mention (of
// the webhook first): each gets an entity with a Teams user id and no
// Entra object id, as outgoing webhooks send them. Its id is the time in
// milliseconds, as Teams' message ids are.
func NewActivity(fromAAD, fromName, text string) Activity {
	now := time.Now().UTC()
	a := Activity{
		Type: "message", ID: strconv.FormatInt(now.UnixMilli(), 10), Timestamp: now.Format("2006-01-02T15:04:05.0000000Z"),
		ServiceURL: "https://smba.trafficmanager.net/emea/", ChannelID: "msteams",
		From: Account{ID: "29:" + short(fromAAD), Name: fromName, AADObjectID: fromAAD},
		Text: text, TextFormat: "plain",
	}
	a.Conversation.ID = "19:fake-channel@thread.skype;messageid=" + a.ID
	rest := text
	for {
		i, j := strings.Index(rest, "<at>"), strings.Index(rest, "</at>")
		if i < 0 || j < i {
			break
		}
		name := rest[i+len("<at>") : j]
		a.Entities = append(a.Entities, Mention{Type: "mention", Text: rest[i : j+len("</at>")], Mentioned: Account{ID: "29:" + short(name), Name: name}})
		rest = rest[j+len("</at>"):]
	}
	return a
}

func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:12])
}

// Sign is the Authorization header Teams sends with body under the
// security token (base64, as Teams shows it).
func Sign(token string, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", fmt.Errorf("teamsfake: the security token is not base64: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "HMAC " + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Reply is plauditd's answer to an activity.
type Reply struct {
	Status int
	Body   []byte
	// Text is the answer's text when it is a message activity.
	Text string
}

// Send posts body (an activity, marshalled) to tenant's outgoing-webhook
// endpoint of the engine at plaudit, signed with token, as Teams does.
func Send(ctx context.Context, plaudit, tenant, token string, body []byte) (Reply, error) {
	auth, err := Sign(token, body)
	if err != nil {
		return Reply{}, err
	}
	return SendSigned(ctx, plaudit, tenant, auth, body)
}

// SendSigned is Send with the Authorization header given ("" for none):
// for requests Teams would not send.
func SendSigned(ctx context.Context, plaudit, tenant, authorization string, body []byte) (Reply, error) {
	u := strings.TrimRight(plaudit, "/") + "/v1/integrations/teams/" + tenant + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Status: resp.StatusCode, Body: b}
	var msg struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &msg) == nil && msg.Type == "message" {
		r.Text = msg.Text
	}
	return r, nil
}
