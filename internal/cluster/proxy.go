package cluster

import (
	"io"
	"net"
	"sync"
	"time"
)

// routeProxy carries the route connections one node opens to another: a
// TCP relay on a port of its own, which the first node's configuration
// names as its route to the second. Cut, it resets the connections it
// carries and refuses new ones, as a firewall rejecting the traffic
// between the two hosts would; the servers see their routes fail and keep
// trying, and once it is restored they reconnect by themselves.
type routeProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// newRouteProxy listens on a free loopback port; it relays to the target
// setTarget names.
func newRouteProxy() (*routeProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &routeProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// setTarget sets the address the proxy relays to.
func (p *routeProxy) setTarget(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = addr
}

// Addr is the address the proxy listens on.
func (p *routeProxy) Addr() string { return p.ln.Addr().String() }

func (p *routeProxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.relay(in)
		}()
	}
}

// relay connects in to the target, unless the link is cut, and copies
// both ways until either side closes or the link is cut.
func (p *routeProxy) relay(in net.Conn) {
	p.mu.Lock()
	cut, target := p.cut, p.target
	p.mu.Unlock()
	if cut || target == "" {
		reset(in)
		return
	}
	out, err := net.DialTimeout("tcp", target, 2*time.Second)
	if err != nil {
		reset(in) // the node is down: the route sees a refusal, as without a proxy
		return
	}
	if !p.track(in, out) {
		reset(in)
		reset(out)
		return
	}
	defer p.untrack(in, out)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	// One side is gone: close both, so the other side sees it too.
	in.Close()
	out.Close()
	<-done
}

// track records a relayed pair, unless the link was cut meanwhile.
func (p *routeProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *routeProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

// setCut cuts the link (resetting what it carries) or restores it.
func (p *routeProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			reset(c)
		}
	}
}

// Close stops the proxy and every connection it carries.
func (p *routeProxy) Close() {
	p.ln.Close()
	p.setCut(true)
	p.wg.Wait()
}

// reset closes c with a TCP reset rather than an orderly close, as a
// firewall's rejection does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
