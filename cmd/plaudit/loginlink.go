package main

import (
	"context"
	"fmt"
	"net/http"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

func (c *cli) loginLink(ctx context.Context, args []string) error {
	s := &spec{
		name: "login-link",
		args: "MEMBER [--role member|manager|admin] [--minutes N]",
		about: `Make a one-time link that signs MEMBER in to the web page. The link works
once, for --minutes (15 by default, at most 60); the session it opens lasts
12 hours. Managers sign in as managers unless --role says otherwise; only
an admin key may make an admin session. Needs an admin or integration key.`,
		pos: []string{"MEMBER"},
	}
	fs := s.flags()
	role := fs.String("role", "", "member, manager or admin (default: manager when the member manages someone)")
	minutes := fs.Int("minutes", 0, "how long the link works, 1 to 60 (default 15)")
	pos, err := c.parseWrite(s, args)
	if err != nil {
		return err
	}
	raw, err := c.sendRaw(ctx, http.MethodPost, "/v1/sessions", apiv1.SessionRequest{Member: pos[0], Role: *role, TTLMinutes: *minutes})
	if err != nil {
		return err
	}
	if c.json {
		c.printRaw(raw)
		return nil
	}
	var l apiv1.SignInLink
	if err := jsonUnmarshal(raw, &l); err != nil {
		return err
	}
	if l.URL == "" {
		fmt.Fprintf(c.stdout, "%s\n", l.Note)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s\n", l.URL)
	fmt.Fprintf(c.stderr, "signs in %s as %s, once, until %s\n", l.Member, l.Role, l.ExpiresAt.Local().Format("15:04 MST"))
	return nil
}
