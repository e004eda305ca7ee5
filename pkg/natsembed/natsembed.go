// Package natsembed runs a nats-server with JetStream inside the Plaudit
// process: the embedded default of plauditd and the real server every test
// talks to. It is not a cluster; deploy/ holds one.
//
// With Auth, the server trusts Plaudit's operator (package natsauth) and
// every connection authenticates, the engine's in-process ones included:
// they connect as users minted at start. Without Auth the server takes
// anonymous in-process connections only and refuses to listen on a port:
// that is for test harnesses and benchmarks, never a running engine.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/plaudit/plaudit/pkg/natsauth"
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
	// Auth is the operator and accounts every connection authenticates
	// against; required to Listen.
	Auth *natsauth.Keys
	// ResolverDir keeps the account JWTs the server has been sent (its
	// revocations among them) across restarts; required with Auth.
	ResolverDir string
	// TLSCert and TLSKey, PEM files, make the client port require TLS.
	// In-process connections do not use it.
	TLSCert, TLSKey string
}

// Server is a running embedded nats-server.
type Server struct {
	ns   *server.Server
	auth *natsauth.Keys
}

// accountDir is where JetStream keeps the files of account acc.
func accountDir(storeDir, acc string) string {
	return filepath.Join(storeDir, server.JetStreamStoreDir, acc)
}

// migrateGlobalAccount moves the streams of a data dir written before
// authentication existed, which JetStream kept under the global account,
// to the Plaudit account, so that an upgraded engine finds its events.
func migrateGlobalAccount(storeDir, acc string) error {
	from, to := accountDir(storeDir, server.DEFAULT_GLOBAL_ACCOUNT), accountDir(storeDir, acc)
	if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("natsembed: %s and %s both hold streams; move one aside", from, to)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("natsembed: move the streams to the Plaudit account: %w", err)
	}
	return nil
}

// configureAuth makes the server trust the operator of keys, with a full
// resolver in dir that starts out with the system and Plaudit accounts.
func configureAuth(so *server.Options, keys *natsauth.Keys, dir string) error {
	if dir == "" {
		return errors.New("natsembed: a resolver dir is required with Auth")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("natsembed: %w", err)
	}
	op, err := keys.OperatorClaims()
	if err != nil {
		return fmt.Errorf("natsembed: operator: %w", err)
	}
	res, err := server.NewDirAccResolver(dir, 0, time.Minute, server.NoDelete)
	if err != nil {
		return fmt.Errorf("natsembed: resolver: %w", err)
	}
	sys, err := keys.SystemAccountJWT()
	if err != nil {
		return err
	}
	if err := res.Store(keys.SystemAccount(), sys); err != nil {
		return fmt.Errorf("natsembed: resolver: %w", err)
	}
	// The Plaudit account carries no revocations (issued users live in
	// tenant accounts, which the resolver keeps as they were pushed), so
	// it is signed afresh: a newer engine may export more.
	acc, err := keys.AccountJWT()
	if err != nil {
		return err
	}
	if err := res.Store(keys.Account(), acc); err != nil {
		return fmt.Errorf("natsembed: resolver: %w", err)
	}
	so.TrustedOperators = append(so.TrustedOperators, op)
	so.SystemAccount = keys.SystemAccount()
	so.AccountResolver = res
	return nil
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
	if opts.Listen != "" && opts.Auth == nil {
		return nil, errors.New("natsembed: refusing to listen without authentication (Options.Auth)")
	}
	if opts.Auth != nil {
		if err := migrateGlobalAccount(opts.StoreDir, opts.Auth.Account()); err != nil {
			return nil, err
		}
		if err := configureAuth(so, opts.Auth, opts.ResolverDir); err != nil {
			return nil, err
		}
	} else {
		so.NoSystemAccount = true
	}
	if opts.TLSCert != "" || opts.TLSKey != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: opts.TLSCert, KeyFile: opts.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("natsembed: tls: %w", err)
		}
		so.TLSConfig, so.TLS = tc, true
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
	return &Server{ns: ns, auth: opts.Auth}, nil
}

// Connect opens an in-process connection to the server, as a user of the
// Plaudit account without restrictions (the engine's own) when the server
// has Auth.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1)}
	if s.auth != nil {
		u, err := s.auth.NewUser(name)
		if err != nil {
			return nil, err
		}
		opts = append(opts, u.Option())
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("natsembed: connect: %w", err)
	}
	return nc, nil
}

// ConnectSystem opens an in-process connection as a user of the system
// account, through which account updates reach the server.
func (s *Server) ConnectSystem(name string) (*nats.Conn, error) {
	if s.auth == nil {
		return nil, errors.New("natsembed: no system account without Auth")
	}
	u, err := s.auth.NewSystemUser(name)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect("", nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1), u.Option())
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
