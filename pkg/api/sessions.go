package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/session"
)

// SetSessions lets the gateway make sign-in links for the web page served
// at publicURL (its scheme, host and any path prefix, as people's browsers
// reach it).
func (g *Gateway) SetSessions(s *session.Sessions, publicURL string) {
	g.sessions, g.publicURL = s, publicURL
}

// signInLink answers POST /v1/sessions; the link is shown only in it.
type signInLink struct{ apiv1.SignInLink }

func (l signInLink) WithoutSecret() any {
	l.URL = ""
	l.Note = "the link was shown once, in the first answer; ask for another if it was lost"
	return l
}

// createSession makes a one-time sign-in link for an active member. An
// integration key may sign people in as members and managers; only an
// admin key may make an admin session. The member's own role in the
// directory decides the default: managers sign in as managers.
func createSession(ctx context.Context, g *Gateway, p auth.Principal, c Call, b apiv1.SessionRequest) (int, any, error) {
	if g.sessions == nil {
		return 0, nil, problem(http.StatusServiceUnavailable, "unavailable", "Unavailable", "", "this engine serves no web page")
	}
	dir := g.cmd.Directory()
	m, ok := dir.Member(p.Tenant, b.Member)
	if b.Member == "" {
		return 0, nil, invalidField("member", "is required: the member the link signs in")
	}
	if !ok || !m.Active {
		return 0, nil, invalidField("member", "no active member "+b.Member+" in this tenant")
	}
	role := auth.Role(b.Role)
	switch {
	case b.Role == "" && dir.Manages(p.Tenant, b.Member):
		role = auth.Manager
	case b.Role == "":
		role = auth.Member
	case role == auth.Admin && p.Role != auth.Admin:
		return 0, nil, forbidden("role", "only an admin key may sign someone in as admin")
	case role != auth.Member && role != auth.Manager && role != auth.Admin:
		return 0, nil, invalidField("role", "must be member, manager or admin")
	}
	if b.TTLMinutes < 0 || b.TTLMinutes > int(session.MaxLinkTTL/time.Minute) {
		return 0, nil, invalidField("ttl_minutes", "must be from 1 to 60 minutes")
	}
	token, l, err := g.sessions.NewLink(ctx, session.Link{Tenant: p.Tenant, Member: b.Member, Role: role, IssuedBy: p.KeyID},
		time.Duration(b.TTLMinutes)*time.Minute)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, signInLink{apiv1.SignInLink{
		URL: SignInURL(g.publicURL, token), Member: l.Member, Role: string(l.Role), ExpiresAt: l.ExpiresAt,
	}}, nil
}

// SignInPath is where a sign-in link points, under the public URL.
const SignInPath = "/signin"

// SignInURL is the link for token under publicURL.
func SignInURL(publicURL, token string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		u = &url.URL{Scheme: "http", Host: "127.0.0.1:8080"}
	}
	u = u.JoinPath(SignInPath)
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// Authenticate resolves a key as every request's is resolved: unknown,
// revoked and expired keys, and keys of members who left, are
// auth.ErrUnauthenticated; a key over its rate is refused.
func (g *Gateway) Authenticate(ctx context.Context, key string) (auth.Principal, error) {
	return g.authenticate(ctx, key)
}
