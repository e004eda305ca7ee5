// Command slackfake stands in for Slack on a developer's machine: it
// serves the Web API methods Plaudit calls and prints each call, and it
// sends Plaudit signed slash commands, reactions and button clicks as
// Slack would.
//
//	slackfake [-listen 127.0.0.1:8091] [-token xoxb-…] [-user U01=ana@example.com …]
//	slackfake send-command -plaudit URL -tenant T -secret S -user U01 '/kudos <@U02> +2 #ownership for …'
//	slackfake send-reaction -plaudit URL -tenant T -secret S -user U01 -author U02 -channel C01 -ts 1700000000.000100 [-remove]
//	slackfake click -plaudit URL -tenant T -secret S -user U01 -channel D01 -ts 1700000000.000001 -nudge ID [-dismiss]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/plaudit/plaudit/internal/slackfake"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "slackfake:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return send(args[0], args[1:])
	}
	fs := flag.NewFlagSet("slackfake", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8091", "address of the fake Web API (Plaudit's --slack-api-url is http://<listen>/api/)")
	token := fs.String("token", "xoxb-fake-token", "the bot token the fake takes")
	var users multi
	fs.Var(&users, "user", "a Slack user and the e-mail address of their profile, U01=ana@example.com (repeatable)")
	messages := multi{}
	fs.Var(&messages, "message", "a message reactions can quote, C01/1700000000.000100=text (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fake := slackfake.New(*token)
	for _, u := range users {
		id, email, _ := strings.Cut(u, "=")
		fake.AddUser(id, email)
	}
	for _, m := range messages {
		where, text, _ := strings.Cut(m, "=")
		channel, ts, _ := strings.Cut(where, "/")
		fake.AddMessage(channel, ts, text)
	}
	fake.OnCall = func(c slackfake.Call) {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(c.Args)
		note := ""
		switch {
		case c.Limited:
			note = " -> 429"
		case c.Refused != "":
			note = " -> " + c.Refused
		}
		fmt.Printf("%s %s %s%s\n", c.At.Format("15:04:05"), c.Method, strings.TrimSpace(b.String()), note)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", fake)
	fmt.Printf("fake Slack Web API on http://%s/api/ (bot token %s)\n", *listen, *token)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// send runs a sending subcommand and prints Plaudit's answer.
func send(cmd string, args []string) error {
	fs := flag.NewFlagSet("slackfake "+cmd, flag.ContinueOnError)
	plaudit := fs.String("plaudit", "http://127.0.0.1:8080", "Plaudit's HTTP address")
	tenant := fs.String("tenant", "default", "the tenant")
	secret := fs.String("secret", "", "the Slack app's signing secret, as configured in Plaudit")
	team := fs.String("team", slackfake.DefaultTeam, "the workspace id (team_id), as in the tenant's Slack settings")
	user := fs.String("user", "", "the Slack user who acts")
	trigger := fs.String("trigger", "", "send-command: the trigger_id (a fresh one when empty; repeat one to see a retry give once)")
	author := fs.String("author", "", "send-reaction: the author of the message reacted to")
	channel := fs.String("channel", "C0FAKE01", "send-reaction, click: the channel")
	ts := fs.String("ts", "1700000000.000100", "send-reaction, click: the message's ts")
	emoji := fs.String("emoji", "taco", "send-reaction: the emoji")
	remove := fs.Bool("remove", false, "send-reaction: the reaction is removed")
	nudge := fs.String("nudge", "", "click: the nudge id the button carries")
	dismiss := fs.Bool("dismiss", false, "click: Dismiss rather than Acknowledge")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" || *user == "" {
		return errors.New("-secret and -user are required")
	}
	s := slackfake.Sender{URL: strings.TrimSuffix(*plaudit, "/") + "/v1/integrations/slack/" + *tenant, Secret: *secret, Team: *team}
	var (
		r   slackfake.Response
		err error
	)
	switch cmd {
	case "send-command":
		text := strings.TrimSpace(strings.TrimPrefix(strings.Join(fs.Args(), " "), "/kudos"))
		if *trigger == "" {
			*trigger = fmt.Sprintf("fake.%d", time.Now().UnixNano())
		}
		r, err = s.Command(*user, text, *trigger, nil)
	case "send-reaction":
		id := fmt.Sprintf("Ev%d", time.Now().UnixNano())
		r, err = s.Reaction(id, *remove, *user, *author, *channel, *ts, *emoji, nil)
	case "click":
		action := "nudge_acknowledge"
		if *dismiss {
			action = "nudge_dismiss"
		}
		r, err = s.Click(*user, action, *nudge, *channel, *ts)
	default:
		return fmt.Errorf("unknown subcommand %q: send-command, send-reaction or click", cmd)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d %s\n", r.Status, strings.TrimSpace(string(r.Body)))
	return nil
}

// multi is a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
