package engine_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/plaudit/plaudit/pkg/auth"
	"github.com/plaudit/plaudit/pkg/engine"
	"github.com/plaudit/plaudit/pkg/engine/enginetest"
	"github.com/plaudit/plaudit/pkg/eventstore"
	"github.com/plaudit/plaudit/pkg/natsauth"
	"github.com/plaudit/plaudit/pkg/natsembed"
	"github.com/plaudit/plaudit/pkg/testenv"
)

// TestExternalNATSFromTheDeployConfig runs a nats-server from a
// configuration that includes what "plauditd nats-init" writes, as
// deploy/nats does, and an engine that joins it with the keys: the
// engine works, anonymous clients are refused, and a credential it
// issues works until it revokes it through the system account.
func TestExternalNATSFromTheDeployConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys, auth := writeAuthConf(t, dir)
	for _, f := range []string{"operator.nk", "system.nk", "account.nk"} {
		seed, err := os.ReadFile(filepath.Join(dir, "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(auth, strings.TrimSpace(string(seed))) {
			t.Fatalf("the server configuration holds the seed of %s", f)
		}
	}
	addr := testenv.FreeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf("listen: %s:%s\nserver_name: deploy-test\njetstream { store_dir: %q }\ninclude ./auth.conf\nresolver { type: full, dir: %q }\n",
		host, port, filepath.Join(dir, "js"), filepath.Join(dir, "accounts"))
	path := filepath.Join(dir, "node.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("the deploy configuration: %v", err)
	}
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := ns.ClientURL()
	if _, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
		t.Fatal("the configured server takes anonymous clients")
	}

	e := enginetest.Start(t, engine.Config{NATSURL: url, NATSKeysDir: filepath.Join(dir, "keys")})
	acme := e.Key(t, "acme", "admin", "")
	cred := issueCreds(t, e, acme, map[string]any{"role": "publisher", "name": "cxone"})
	closed := make(chan struct{})
	nc, err := nats.Connect(url, nats.UserCredentials(cred.File), nats.CustomInboxPrefix(cred.InboxPrefix),
		nats.MaxReconnects(0), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("issued credential on the external server: %v", err)
	}
	defer nc.Close()
	e.Do(t, "DELETE", "/v1/nats-credentials/"+cred.ID, acme, nil).Want(t, http.StatusOK)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked user is still connected to the external server")
	}

	// A projector replica without the keys joins with a .creds file.
	u, err := keys.NewUser("replica")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := u.Creds()
	if err != nil {
		t.Fatal(err)
	}
	credsFile := filepath.Join(dir, "replica.creds")
	if err := os.WriteFile(credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	r := enginetest.Start(t, engine.Config{NATSURL: url, NATSCreds: credsFile})
	if r.Credentials != nil {
		t.Error("an engine without the keys issues credentials")
	}
	r.Do(t, "POST", "/v1/nats-credentials", acme, map[string]any{"role": "publisher", "name": "x"}).WantProblem(t, http.StatusServiceUnavailable, "")
}

// TestDeployConfigsAuthenticateAndEncrypt parses deploy/nats's server
// configurations, with the auth.conf that plauditd nats-init writes and
// TLS files in place, as nats-server would: each trusts the operator,
// requires TLS of clients, and has routes authenticate by certificate.
func TestDeployConfigsAuthenticateAndEncrypt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys, _ := writeAuthConf(t, dir)
	cert, key := selfSigned(t)
	tlsDir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	pemCert, _ := os.ReadFile(cert)
	pemKey, _ := os.ReadFile(key)
	files := map[string][]byte{"ca.pem": pemCert}
	for _, n := range []string{"1", "2", "3"} {
		files["node-"+n+".pem"], files["node-"+n+"-key.pem"] = pemCert, pemKey
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tlsDir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	confs, _ := filepath.Glob("../../deploy/nats/node-*.conf")
	if len(confs) != 3 {
		t.Fatalf("deploy/nats has %d node configurations, want 3", len(confs))
	}
	for _, c := range confs {
		t.Run(filepath.Base(c), func(t *testing.T) {
			b, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(string(b), "./deploy/nats/tls/", tlsDir+"/")
			text = strings.ReplaceAll(text, "./data/", dir+"/data/")
			path := filepath.Join(dir, filepath.Base(c))
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			opts, err := server.ProcessConfigFile(path)
			if err != nil {
				t.Fatalf("nats-server refuses it: %v", err)
			}
			if len(opts.TrustedOperators) != 1 || opts.TrustedOperators[0].Subject != keys.OperatorPublicKey() {
				t.Errorf("trusted operators %v, want Plaudit's", opts.TrustedOperators)
			}
			if opts.SystemAccount != keys.SystemAccount() || opts.AccountResolver == nil {
				t.Errorf("system account %q, resolver %v", opts.SystemAccount, opts.AccountResolver)
			}
			if opts.NoAuthUser != "" || len(opts.Users) != 0 || len(opts.Nkeys) != 0 {
				t.Error("the configuration has users of its own")
			}
			if opts.TLSConfig == nil {
				t.Error("clients are not required to use TLS")
			}
			if opts.Cluster.TLSConfig == nil || opts.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
				t.Error("routes do not authenticate each other by certificate")
			}
			if !strings.HasPrefix(opts.HTTPHost, "127.") {
				t.Errorf("monitoring on %q, not loopback", opts.HTTPHost)
			}
		})
	}
}

// writeAuthConf creates the NATS operator keys under dir/keys and writes
// dir/auth.conf from them, as "plauditd nats-init" does; it returns the keys
// and the configuration.
func writeAuthConf(t *testing.T, dir string) (*natsauth.Keys, string) {
	t.Helper()
	keys, err := natsauth.LoadOrCreate(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := natsauth.ServerConfig(keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "auth.conf"), []byte(auth), 0o644); err != nil {
		t.Fatal(err)
	}
	return keys, auth
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "plaudit test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestNATSPortRequiresTLS(t *testing.T) {
	t.Parallel()
	cert, key := selfSigned(t)
	e := enginetest.Start(t, engine.Config{NATSListen: testenv.FreeAddr(t), NATSTLSCert: cert, NATSTLSKey: key})
	acme := e.Key(t, "acme", auth.Admin, "")
	cred := issueCreds(t, e, acme, map[string]any{"role": "publisher", "name": "cxone"})
	// The server tells every client that TLS is required before anything
	// else is said.
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimPrefix(e.NATSURL(), "nats://"), "tls://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	info, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("the server's INFO %q (%v) does not require TLS", info, err)
	}
	// A client that cannot verify the server's certificate gets nowhere.
	if nc, err := nats.Connect(e.NATSURL(), nats.UserCredentials(cred.File), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("connected without verifying the server")
	}
	nc, err := nats.Connect(e.NATSURL(), nats.UserCredentials(cred.File), nats.RootCAs(cert), nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("connect over TLS: %v", err)
	}
	defer nc.Close()
	if nc.TLSRequired() == false {
		t.Error("the connection is not TLS")
	}
	if _, err := nc.TLSConnectionState(); err != nil {
		t.Errorf("no TLS state: %v", err)
	}
}

// TestDataDirFromBeforeAuthentication: a data dir whose streams JetStream
// kept under the global account, before NATS authenticated, is found by an
// engine that authenticates.
func TestDataDirFromBeforeAuthentication(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := natsembed.Start(natsembed.Options{StoreDir: filepath.Join(dir, "jetstream")})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := srv.Connect("old")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	js := st.JetStream()
	if _, err := js.Publish(ctx, "plaudit.acme.test.migrated", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()

	e := enginetest.Start(t, engine.Config{DataDir: dir})
	info, err := e.Store.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("the upgraded engine's stream holds %d events, want the 1 written before", info.State.Msgs)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream", "jetstream", server.DEFAULT_GLOBAL_ACCOUNT)); err == nil {
		t.Error("the global account's streams are still there")
	}
}
