package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

func (c *cli) natsCreds(ctx context.Context, args []string) error {
	return c.group(ctx, "nats-creds", `Manage NATS credentials of the tenant (admin keys):
  create  issue a credential and write its .creds file; it is shown once
  list    list the tenant's credentials
  revoke  revoke a credential: the servers refuse it within seconds`, args,
		sub{"create", (*cli).natsCredsCreate}, sub{"list", (*cli).natsCredsList}, sub{"revoke", (*cli).natsCredsRevoke})
}

// natsCredential is a credential as the server lists it (natsauth's
// Credential, which apiv1 does not declare), with times and the seed as
// text: --json prints it back with the seed taken out.
type natsCredential struct {
	ID          string               `json:"id"`
	Tenant      string               `json:"tenant"`
	Role        string               `json:"role"`
	Name        string               `json:"name"`
	User        string               `json:"user"`
	InboxPrefix string               `json:"inbox_prefix"`
	Consumers   []apiv1.NATSConsumer `json:"consumers"`
	CreatedAt   string               `json:"created_at"`
	RevokedAt   string               `json:"revoked_at"`
	Creds       string               `json:"creds"`
}

// consumerFlags collects repeated --consumer NAME[=FILTER] flags.
type consumerFlags []apiv1.NATSConsumer

func (f *consumerFlags) String() string { return "" }

func (f *consumerFlags) Set(v string) error {
	name, filter, _ := strings.Cut(v, "=")
	if name == "" {
		return errors.New("want NAME or NAME=FILTER")
	}
	*f = append(*f, apiv1.NATSConsumer{Name: name, Filter: filter})
	return nil
}

func (c *cli) natsCredsCreate(ctx context.Context, args []string) error {
	s := &spec{
		name: "nats-creds create",
		args: "--role downstream|publisher --name NAME --out FILE [--consumer NAME[=FILTER]]...",
		about: `Issue a NATS credential of the caller's tenant and write it to FILE (mode 0600)
as a standard .creds file. The seed it holds is shown only this once; plauditd
keeps only the public key. Connect with it and with the inbox prefix printed
(nats.CustomInboxPrefix): no other inbox is open to it.
  downstream  reads the tenant's events through durable pull consumers made
              for it: by default one named after --name over every event of
              the tenant; --consumer billing=plaudit.acme.kudos.> for others
  publisher   records, corrects and withdraws ratings through the NATS
              command service (plaudit-api.v1.<tenant>.ratings.*)`,
	}
	fs := s.flags()
	var b apiv1.NATSCredsRequest
	var consumers consumerFlags
	fs.StringVar(&b.Role, "role", "", "downstream or publisher")
	fs.StringVar(&b.Name, "name", "", "what the credential is for, e.g. billing-sync")
	out := fs.String("out", "", "file to write the .creds to; it must not exist")
	fs.Var(&consumers, "consumer", "a durable consumer NAME, optionally =FILTER within the tenant (repeatable)")
	if _, err := c.parseWrite(s, args); err != nil {
		return err
	}
	if err := require(s, "role", "name", "out"); err != nil {
		return err
	}
	b.Consumers = consumers
	// Made before asking, so that a credential is never issued that
	// cannot be written down.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	raw, err := c.sendRaw(ctx, http.MethodPost, "/v1/nats-credentials", b)
	if err == nil {
		var cred natsCredential
		if err = jsonUnmarshal(raw, &cred); err == nil && cred.Creds == "" {
			err = fmt.Errorf("credential %s was issued by an earlier attempt and shown then; revoke it and create another", cred.ID)
		}
		if err == nil {
			_, err = f.WriteString(cred.Creds)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if c.json {
				// The seed stays in the file, out of the output.
				cred.Creds = ""
				b, _ := json.Marshal(cred)
				c.printRaw(b)
				return nil
			}
			fmt.Fprintf(c.stdout, "%s\n", cred.ID)
			fmt.Fprintf(c.stderr, "note: credential %s (tenant %s, role %s) written to %s; the seed in it is shown only this once.\n", cred.ID, cred.Tenant, cred.Role, *out)
			fmt.Fprintf(c.stderr, "connect with the inbox prefix %s\n", cred.InboxPrefix)
			for _, cons := range cred.Consumers {
				fmt.Fprintf(c.stderr, "consumer %s on stream PLAUDIT_EVENTS, filter %s\n", cons.Name, cons.Filter)
			}
			return nil
		}
	} else {
		f.Close()
	}
	_ = os.Remove(*out)
	return err
}

func (c *cli) natsCredsList(ctx context.Context, args []string) error {
	s := &spec{name: "nats-creds list", about: "List the tenant's NATS credentials, revoked ones included."}
	if _, err := c.parseRead(s, args); err != nil {
		return err
	}
	var list struct {
		Credentials []natsCredential `json:"credentials"`
	}
	if done, err := c.readOrPrint(ctx, "/v1/nats-credentials", &list); done {
		return err
	}
	fmt.Fprintf(c.stdout, "%-16s %-10s %-20s %-20s %s\n", "ID", "ROLE", "NAME", "CREATED", "REVOKED")
	for _, cr := range list.Credentials {
		revoked := "-"
		if cr.RevokedAt != "" {
			revoked = cr.RevokedAt
		}
		fmt.Fprintf(c.stdout, "%-16s %-10s %-20s %-20s %s\n", cr.ID, cr.Role, cr.Name, cr.CreatedAt, revoked)
	}
	return nil
}

func (c *cli) natsCredsRevoke(ctx context.Context, args []string) error {
	s := &spec{name: "nats-creds revoke", args: "ID", about: "Revoke a NATS credential: every server refuses it within seconds, and its consumers are deleted.", pos: []string{"ID"}}
	return c.revoke(ctx, s, args, "/v1/nats-credentials/", "credential")
}
