// Command teamsfake stands in for Microsoft Teams in the README tour.
//
//	teamsfake -listen 127.0.0.1:8092
//
// serves workflows at http://127.0.0.1:8092/workflows/<name> and prints
// each card they take;
//
//	teamsfake send -plaudit http://127.0.0.1:8080 -tenant default -token <base64> -from <aad id> '<at>Plaudit</at> <at>Bo Berg</at> +2 #ownership for …'
//
// posts a message to plauditd as a team's outgoing webhook would, and
// prints the answer Teams would show.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/plaudit/plaudit/internal/teamsfake"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "send" {
		err = send(os.Args[2:])
	} else {
		err = serve(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "teamsfake:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("teamsfake", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8092", "where the workflows listen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := teamsfake.Start(*listen)
	if err != nil {
		return err
	}
	s.OnPost = func(p teamsfake.Post) {
		fmt.Printf("--- workflow %s, %s\n%s", p.Workflow, p.At.Format(time.TimeOnly), p.Card.Text())
		if len(p.Plaudit) > 0 {
			b, _ := json.Marshal(p.Plaudit)
			fmt.Printf("routing: %s\n", b)
		}
	}
	fmt.Printf("teamsfake: workflows at %s/workflows/<name>, e.g. %s and %s\n", s.URL, s.WorkflowURL("kudos"), s.WorkflowURL("nudges"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return s.Close()
}

func send(args []string) error {
	fs := flag.NewFlagSet("teamsfake send", flag.ContinueOnError)
	plaudit := fs.String("plaudit", "http://127.0.0.1:8080", "plauditd's base URL")
	tenant := fs.String("tenant", "default", "the tenant whose outgoing webhook this is")
	token := fs.String("token", "", "the security token (base64), as set in PUT /v1/integrations/teams")
	from := fs.String("from", "", "the sender's Microsoft Entra object id (their teams_user_id)")
	name := fs.String("name", "Teams user", "the sender's display name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" || *from == "" || fs.NArg() != 1 {
		return errors.New("usage: teamsfake send -token <base64> -from <aad id> [-plaudit URL] [-tenant T] '<at>Plaudit</at> <at>Name</at> +1 #value message'")
	}
	body, err := json.Marshal(teamsfake.NewActivity(strings.ToLower(*from), *name, fs.Arg(0)))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := teamsfake.Send(ctx, *plaudit, *tenant, *token, body)
	if err != nil {
		return err
	}
	if r.Text != "" {
		fmt.Println(r.Text)
		return nil
	}
	return fmt.Errorf("plauditd answered %d: %s", r.Status, r.Body)
}
