// Package testenv starts the real servers Plaudit's tests talk to: an
// embedded nats-server with JetStream on a temporary directory, and the event
// store on it; and it has the stopped clock those tests run their services
// on. It is for tests only; nothing in production imports it.
package testenv

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsembed"
)

// NATS starts an embedded JetStream server in dir (a fresh temp dir when
// empty) and stops it when the test ends.
func NATS(tb testing.TB, dir string) *natsembed.Server {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	srv, err := natsembed.Start(natsembed.Options{StoreDir: dir})
	if err != nil {
		tb.Fatalf("start nats: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv
}

// Conn connects to srv for the length of the test.
func Conn(tb testing.TB, srv *natsembed.Server) *nats.Conn {
	tb.Helper()
	nc, err := srv.Connect(tb.Name())
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// JetStream is a JetStream client on a new connection to srv.
func JetStream(tb testing.TB, srv *natsembed.Server) jetstream.JetStream {
	tb.Helper()
	js, err := jetstream.New(Conn(tb, srv))
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return js
}

// Store opens the event stream on a new connection to srv.
func Store(tb testing.TB, srv *natsembed.Server) *eventstore.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, Conn(tb, srv), eventstore.Config{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return st
}

// FreeAddr is a loopback address with a port nothing listened on a moment
// ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	a, err := freeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return a.String()
}

func freeAddr() (*net.TCPAddr, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr), nil
}
