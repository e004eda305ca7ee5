// Package slackfake is a stand-in for Slack: a Web API server that
// checks the bot token and records every call for tests to assert on,
// and a sender that signs requests to Plaudit's Slack routes as Slack
// does. It serves only the methods Plaudit calls and keeps no more
// state than they need. It is for tests and the README's tour; nothing
// in production imports it.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"sync"
	"time"
)

// Call is one Web API call the fake received.
type Call struct {
	Method string
	// Args are its arguments: the JSON body decoded, or the form's
	// fields as strings.
	Args map[string]any
	// Limited is set when the fake answered it 429.
	Limited bool
	// Refused is the error code of an answer that was not ok
	// ("invalid_auth" for a wrong token).
	Refused string
	// At is when it came.
	At time.Time
}

// Str is a string argument of the call.
func (c Call) Str(name string) string {
	s, _ := c.Args[name].(string)
	return s
}

// Fake is the Web API. Mount it with httptest.NewServer (its URL is then
// the base URL Plaudit calls) or serve it on an address. It is safe for
// concurrent use.
type Fake struct {
	token string
	// OnCall, when set, sees every call as it is recorded (the command
	// prints them).
	OnCall func(Call)

	mu       sync.Mutex
	calls    []Call
	users    map[string]string // user id -> profile e-mail
	messages map[string]string // channel + "/" + ts -> text
	limits   map[string]*limit // by method, or method and channel
	holds    map[string]time.Duration
	seq      int
}

type limit struct{ times, after int }

// New returns a fake that takes token as the bot token.
func New(token string) *Fake {
	return &Fake{token: token, users: map[string]string{}, messages: map[string]string{}, limits: map[string]*limit{},
		holds: map[string]time.Duration{}}
}

// AddUser makes a Slack user whose profile shows email.
func (f *Fake) AddUser(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = email
}

// AddMessage puts a message with text in channel at ts.
func (f *Fake) AddMessage(channel, ts, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages[channel+"/"+ts] = text
}

// RateLimit answers the next times calls of method 429 with Retry-After
// after seconds; those to channel only, when channel is not "".
func (f *Fake) RateLimit(method, channel string, times, after int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits[method+"/"+channel] = &limit{times: times, after: after}
}

// Hold makes every call of method wait d (or until its caller gives up)
// before it is answered: a slow Slack.
func (f *Fake) Hold(method string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds[method] = d
}

// Calls returns the calls of method received so far, every call when
// method is "".
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// ServeHTTP answers POST <base>/<method>.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := path.Base(r.URL.Path)
	args, err := readArgs(r)
	if err != nil {
		answer(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	// Held once the body is read: the server then notices a caller
	// that gives up.
	f.mu.Lock()
	hold := f.holds[method]
	f.mu.Unlock()
	if hold > 0 {
		t := time.NewTimer(hold)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	c := Call{Method: method, Args: args, At: time.Now()}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		c.Refused = "invalid_auth"
		f.record(c)
		answer(w, map[string]any{"ok": false, "error": c.Refused})
		return
	}
	f.mu.Lock()
	var retryAfter int
	for _, key := range []string{method + "/" + c.Str("channel"), method + "/"} {
		if l := f.limits[key]; l != nil && l.times > 0 {
			l.times--
			c.Limited, retryAfter = true, l.after
			break
		}
	}
	out := f.answer(c)
	if !c.Limited && out["ok"] != true {
		c.Refused, _ = out["error"].(string)
	}
	f.mu.Unlock()
	f.record(c)
	if c.Limited {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	answer(w, out)
}

func (f *Fake) record(c Call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.OnCall != nil {
		f.OnCall(c)
	}
}

// answer is the fake's answer to c; f.mu is held.
func (f *Fake) answer(c Call) map[string]any {
	fail := func(code string) map[string]any { return map[string]any{"ok": false, "error": code} }
	switch c.Method {
	case "users.info":
		email, ok := f.users[c.Str("user")]
		if !ok {
			return fail("user_not_found")
		}
		return map[string]any{"ok": true, "user": map[string]any{"id": c.Str("user"), "profile": map[string]any{"email": email}}}
	case "conversations.open":
		if c.Str("users") == "" {
			return fail("invalid_arguments")
		}
		return map[string]any{"ok": true, "channel": map[string]any{"id": "D" + c.Str("users")}}
	case "conversations.history", "conversations.replies":
		msgs := []any{}
		ts := c.Str("latest")
		if text, ok := f.messages[c.Str("channel")+"/"+ts]; ok {
			msgs = append(msgs, map[string]any{"type": "message", "ts": ts, "text": text})
		}
		return map[string]any{"ok": true, "messages": msgs}
	case "chat.postMessage", "chat.postEphemeral":
		if c.Str("channel") == "" || (c.Str("text") == "" && c.Args["blocks"] == nil) {
			return fail("no_text")
		}
		f.seq++
		ts := fmt.Sprintf("1700000000.%06d", f.seq)
		return map[string]any{"ok": true, "channel": c.Str("channel"), "ts": ts, "message_ts": ts}
	case "chat.update":
		if c.Str("channel") == "" || c.Str("ts") == "" {
			return fail("message_not_found")
		}
		return map[string]any{"ok": true, "channel": c.Str("channel"), "ts": c.Str("ts")}
	}
	return fail("unknown_method")
}

func readArgs(r *http.Request) (map[string]any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	args := map[string]any{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		return args, json.Unmarshal(body, &args)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k := range form {
		args[k] = form.Get(k)
	}
	return args, nil
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
