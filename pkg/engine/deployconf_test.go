package engine_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

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
