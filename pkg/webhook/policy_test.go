package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/plaudit/plaudit/pkg/webhook"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	p := webhook.Policy{Trusted: []string{"receiver.test", "127.0.0.1"}}
	allowed := []string{
		"https://hooks.example.com/plaudit",
		"https://hooks.example.com:8443/plaudit?tenant=acme",
		"http://receiver.test/in",
		"http://127.0.0.1:9000/in",
		"https://8.8.8.8/in",
	}
	for _, u := range allowed {
		if err := p.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want allowed", u, err)
		}
	}
	refused := []string{
		"http://hooks.example.com/plaudit",           // plain http to a host not allowed
		"https://169.254.169.254/latest/meta-data/",  // cloud metadata (link-local)
		"https://[fe80::1]/in",                       // link-local
		"https://[fd00:ec2::254]/in",                 // AWS's IPv6 metadata
		"https://100.100.100.200/in",                 // Alibaba's metadata, shared space
		"https://[::ffff:169.254.169.254]/in",        // metadata, IPv4-mapped
		"https://127.0.0.2/in",                       // loopback not trusted
		"https://10.1.2.3/in",                        // private
		"https://[fc00::1]/in",                       // unique local
		"https://0.0.0.0/in",                         // unspecified
		"https://user:password@hooks.example.com/in", // credentials in the URL
		"ftp://hooks.example.com/in",                 // not http(s)
		"/relative/path",                             // not absolute
		"https://hooks.example.com/in#part",          // a fragment
	}
	for _, u := range refused {
		if err := p.CheckURL(u); !errors.Is(err, webhook.ErrDestination) {
			t.Errorf("CheckURL(%q) = %v, want ErrDestination", u, err)
		}
	}
}

// TestClientDialsOnlyWhatThePolicyAllows: the address is checked when
// dialling, after the name is resolved, so a name that resolves to
// loopback is refused unless the operator trusts it; a redirect is
// answered, not followed.
func TestClientDialsOnlyWhatThePolicyAllows(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	viaName := "http://localhost:" + u.Port()

	if _, err := (webhook.Policy{}).Client(5 * time.Second).Get(viaName + "/in"); !errors.Is(err, webhook.ErrDestination) {
		t.Errorf("untrusted GET of a name resolving to loopback = %v, want ErrDestination", err)
	}
	trusted := webhook.Policy{Trusted: []string{"localhost"}}.Client(5 * time.Second)
	resp, err := trusted.Get(viaName + "/in")
	if err != nil {
		t.Fatalf("trusted GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("trusted GET: %d", resp.StatusCode)
	}
	resp, err = trusted.Get(viaName + "/away")
	if err != nil {
		t.Fatalf("GET of a redirect: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("a redirect was followed to %d, want the 302 itself", resp.StatusCode)
	}
}
