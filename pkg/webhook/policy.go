package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrDestination is returned (wrapped, with the reason) when a delivery
// may not go where its URL points.
var ErrDestination = errors.New("webhook: destination not allowed")

// Policy says where deliveries may go. By default only to https URLs whose
// names resolve to public addresses: never to loopback, private,
// link-local (cloud metadata services live there), multicast or other
// special-purpose addresses, checked on the address actually dialled, so a
// name that resolves to one is refused too.
type Policy struct {
	// Trusted are hosts ("receiver.internal", "127.0.0.1") the operator
	// allows: deliveries to them may use plain http and reach any address.
	Trusted []string
}

// trusts reports whether host is one the operator allowed.
func (p Policy) trusts(host string) bool {
	return slices.ContainsFunc(p.Trusted, func(t string) bool { return strings.EqualFold(t, host) })
}

// CheckURL refuses a URL a delivery may not be sent to, saying why.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%w: not an absolute URL", ErrDestination) // not echoed: it may carry a token
	case u.User != nil:
		return fmt.Errorf("%w: a URL with credentials in it", ErrDestination)
	case u.Fragment != "":
		return fmt.Errorf("%w: a URL with a #fragment", ErrDestination)
	case u.Scheme == "https":
	case u.Scheme == "http" && p.trusts(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("%w: http to %s; only https, or http to a host the operator allowed", ErrDestination, u.Hostname())
	default:
		return fmt.Errorf("%w: scheme %q", ErrDestination, u.Scheme)
	}
	if p.trusts(u.Hostname()) {
		return nil
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !public(a) {
		return fmt.Errorf("%w: %s is not a public address", ErrDestination, a)
	}
	return nil
}

// public reports whether a is an address a delivery may reach untrusted.
func public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// special are ranges IsGlobalUnicast counts as global that are not
// reachable public hosts: shared address space (carrier NAT, and Alibaba
// Cloud's metadata service at 100.100.100.200), benchmarking, the
// documentation ranges, the IPv4/IPv6 translation prefixes, and AWS's IPv6
// metadata address.
var special = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Client is an HTTP client for deliveries under p: it dials only addresses
// p allows (a trusted host's, or public ones), follows no redirect (a 3xx
// is an answer, and a redirect could lead anywhere), and gives up on a
// request after timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	transport := &http.Transport{
		Proxy:               nil,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: timeout,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			d := *dialer
			if !p.trusts(host) {
				d.Control = refuseNonPublic
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refuseNonPublic is a dialer's Control: it runs on the address about to
// be connected to, after name resolution.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrDestination, address)
	}
	if !public(ap.Addr()) {
		return fmt.Errorf("%w: %s is not a public address", ErrDestination, ap.Addr())
	}
	return nil
}
