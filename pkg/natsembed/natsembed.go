// Package natsembed runs a nats-server with JetStream inside the Plaudit
// process: the embedded default of plauditd and the real server every test
// talks to. It is not a cluster; deploy/ holds one.
package natsembed

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options configure the embedded server.
type Options struct {
	// StoreDir holds JetStream's files.
	StoreDir string
	// Listen exposes the server on host:port for other processes; empty
	// keeps it in-process only.
	Listen string
	// SyncAlways makes JetStream fsync every write before acknowledging it
	// (sync_interval: always): no acknowledged event is lost even on power
	// loss, at a cost in throughput. Off, JetStream syncs every 2 minutes
	// and a process crash still loses nothing acknowledged.
	SyncAlways bool
	// ServerName names the server in logs and advisories.
	ServerName string
}

// Server is a running embedded nats-server.
type Server struct {
	ns *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(opts Options) (*Server, error) {
	so := &server.Options{
		ServerName:         opts.ServerName,
		JetStream:          true,
		StoreDir:           opts.StoreDir,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         opts.Listen == "",
		MaxPayload:         1 << 20,
		JetStreamMaxMemory: 256 << 20,
	}
	if so.ServerName == "" {
		so.ServerName = "plaudit"
	}
	if opts.SyncAlways {
		so.SyncAlways = true
	}
	if opts.Listen != "" {
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("natsembed: listen %q: %w", opts.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("natsembed: listen %q: %w", opts.Listen, err)
		}
		so.Host, so.Port = host, p
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("natsembed: server not ready after 10s")
	}
	return &Server{ns: ns}, nil
}

// Connect opens an in-process connection to the server.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("natsembed: connect: %w", err)
	}
	return nc, nil
}

// ClientURL is the server's address for other processes, or "" when it does
// not listen.
func (s *Server) ClientURL() string {
	if s.ns.Addr() == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// Shutdown stops the server and waits until it has.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
