package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/session"
)

// Cookie names: with Secure, the __Host- prefix also pins the cookie to
// this host and path /.
const (
	cookieName       = "plaudit_session"
	secureCookieName = "__Host-plaudit_session"
)

// viewer is who is looking: the session's principal and key.
type viewer struct {
	auth.Principal
	key  string // the session's secret, sent to the API as its bearer key
	csrf string
	Name string
	Team string
	// Manages: the member manages someone, so the team view is theirs.
	Manages bool
}

func (s *Server) cookieName(r *http.Request) string {
	if s.secure || r.TLS != nil {
		return secureCookieName
	}
	return cookieName
}

// viewerOf resolves the request's session; nil when there is none that
// works.
func (s *Server) viewerOf(r *http.Request) *viewer {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil || c.Value == "" {
		return nil
	}
	p, err := s.cfg.Authenticate(r.Context(), c.Value)
	if err != nil || !p.Session {
		// Only a session's key is taken from a cookie: an API key put
		// there by hand is refused like a forged one.
		return nil
	}
	v := &viewer{Principal: p, key: c.Value, csrf: csrfToken(c.Value)}
	if m, ok := s.cfg.Directory.Member(p.Tenant, p.Member); ok {
		v.Name, v.Team = m.Name, m.Team
	}
	v.Manages = p.Role == auth.Manager && s.cfg.Directory.Manages(p.Tenant, p.Member)
	return v
}

// csrfToken is the session's CSRF token: an HMAC of a fixed label under
// the session's secret. It is the same on every engine that serves the
// session and cannot be made without the secret, which only the
// browser's HttpOnly cookie holds.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("plaudit web csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// crossOrigin refuses a state-changing request another site made the
// browser send (Sec-Fetch-Site, else Origin against Host).
var crossOrigin = http.NewCrossOriginProtection()

// page serves a page to a signed-in viewer; without a session it shows
// how to sign in.
func (s *Server) page(fn func(w http.ResponseWriter, r *http.Request, v *viewer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		v := s.viewerOf(r)
		if v == nil {
			s.render(w, r, http.StatusUnauthorized, "signedout", nil, nil)
			return
		}
		fn(w, r, v)
	})
}

// post serves a form's post: refused when it comes from another site,
// without a session, or without the session's CSRF token.
func (s *Server) post(fn func(w http.ResponseWriter, r *http.Request, v *viewer)) http.Handler {
	return crossOrigin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		v := s.viewerOf(r)
		if v == nil {
			s.render(w, r, http.StatusUnauthorized, "signedout", nil, nil)
			return
		}
		if err := r.ParseMultipartForm(maxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			s.fail(w, r, v, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(v.csrf)) {
			s.fail(w, r, v, http.StatusForbidden, "This form is out of date or did not come from Plaudit's page. Reload the page and try again.")
			return
		}
		fn(w, r, v)
	}))
}

// maxForm bounds a form's body, a CSV import included.
const maxForm = 2 << 20

// guardAnonymous protects a post made before there is a session (signing
// in) from other sites.
func (s *Server) guardAnonymous(h http.Handler) http.Handler {
	return crossOrigin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		h.ServeHTTP(w, r)
	}))
}

// secureHeaders: no framing, no inline script or style, no referrer (a
// sign-in link's token must not leak to another site), no caching of
// pages that show people's recognition.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// signInPage asks the person to confirm the sign-in a link offers: the
// link is spent only by the post, so a link preview or a mail scanner
// that fetches it spends nothing.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	token := r.URL.Query().Get("token")
	l, err := s.cfg.Sessions.Peek(r.Context(), token)
	if err != nil {
		s.signInRefused(w, r, err)
		return
	}
	name := l.Member
	if m, ok := s.cfg.Directory.Member(l.Tenant, l.Member); ok {
		name = m.Name
	}
	s.render(w, r, http.StatusOK, "signin", nil, map[string]any{"Token": token, "Name": name, "Member": l.Member, "Role": string(l.Role)})
}

func (s *Server) signInRefused(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, session.ErrInvalidLink) {
		s.render(w, r, http.StatusForbidden, "signinrefused", nil, nil)
		return
	}
	s.log.Error("sign-in", "err", err)
	s.render(w, r, http.StatusServiceUnavailable, "error", nil, map[string]any{"Message": "Signing in is not possible right now; try the link again in a moment."})
}

// signIn spends the link and sets the session's cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	secret, p, err := s.cfg.Sessions.Redeem(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.signInRefused(w, r, err)
		return
	}
	if _, err := s.cfg.Authenticate(r.Context(), secret); err != nil {
		// The member left between the link and its use.
		_ = s.cfg.Revoke(r.Context(), p.Tenant, p.KeyID)
		s.signInRefused(w, r, session.ErrInvalidLink)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(r), Value: secret, Path: "/", MaxAge: int(session.TTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signOut ends the session everywhere (its key is revoked) and drops the
// cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *viewer) {
	if err := s.cfg.Revoke(r.Context(), v.Tenant, v.KeyID); err != nil {
		s.log.Error("sign-out", "err", err)
		s.fail(w, r, v, http.StatusServiceUnavailable, "Signing out failed; try again.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil})
	s.render(w, r, http.StatusOK, "signedout", nil, map[string]any{"SignedOut": true})
}
