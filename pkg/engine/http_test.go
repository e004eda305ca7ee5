package engine_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
)

// closedWithin reads conn until the server closes it, and fails the test
// unless that happens within d.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still holds the connection after %v", d)
	}
}

func TestHTTPCutsOffSlowAndIdleClients(t *testing.T) {
	t.Parallel()
	short := 300 * time.Millisecond
	e := enginetest.Start(t, engine.Config{HTTPTimeouts: engine.HTTPTimeouts{ReadHeader: short, Read: short, Write: short, Idle: short}})
	key := e.Key(t, "acme", auth.Admin, "")
	dial := func() net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("slow body", func(t *testing.T) {
		conn := dial()
		_, _ = io.WriteString(conn, "POST /v1/kudos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
			"\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
		closedWithin(t, conn, 5*time.Second)
	})
	t.Run("slow headers", func(t *testing.T) {
		conn := dial()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		closedWithin(t, conn, 5*time.Second)
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		resp.Body.Close()
		closedWithin(t, conn, 5*time.Second)
	})
	t.Run("huge headers", func(t *testing.T) {
		conn := dial()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", engine.MaxHeaderBytes+8<<10)+"\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("huge headers answered %v %v, want 431", resp, err)
		}
	})
	t.Run("the live stream outlasts the timeouts", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/stream", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v %v", resp, err)
		}
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		for lines.Scan() && lines.Text() != "" { // the greeting
		}
		// Past every timeout, the stream still delivers.
		<-time.After(4 * short)
		e.Seed(t, key, enginetest.Member{ID: "ana", Team: "support", TimeZone: "UTC"})
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "event: plaudit.directory.member_upserted") {
				return
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
	})
}
