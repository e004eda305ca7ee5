package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tgz is a gzipped tar holding files, in the layout of an npm tarball.
func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// registry serves body at every path and counts the requests.
func registry(t *testing.T, body []byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestInstallFetchesOnceAndAgainWhenTheFileChanged(t *testing.T) {
	const js = "window.axe = {};"
	body := tgz(t, map[string]string{"package/README.md": "readme", member: js})
	srv, hits := registry(t, body)
	dir := filepath.Join(t.TempDir(), "axe-core")
	dst := filepath.Join(dir, "axe.min.js")
	ctx := context.Background()

	for i, wantFetch := range []bool{true, false} {
		fetched, err := install(ctx, srv.Client(), srv.URL, sri(body), dir)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if fetched != wantFetch {
			t.Fatalf("run %d: fetched %v, want %v", i, fetched, wantFetch)
		}
	}
	if got, _ := os.ReadFile(dst); string(got) != js {
		t.Fatalf("axe.min.js holds %q, want %q", got, js)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}

	if err := os.WriteFile(dst, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fetched, err := install(ctx, srv.Client(), srv.URL, sri(body), dir); err != nil || !fetched {
		t.Fatalf("after an edit: fetched %v, err %v; want a fresh download", fetched, err)
	}
	if got, _ := os.ReadFile(dst); string(got) != js {
		t.Fatalf("after an edit, axe.min.js holds %q, want %q", got, js)
	}
}

func TestInstallRefusesATarballThatDoesNotMatchThePin(t *testing.T) {
	body := tgz(t, map[string]string{member: "window.axe = {};"})
	pinned := sri(append([]byte("other"), body...))
	srv, _ := registry(t, body)
	dir := filepath.Join(t.TempDir(), "axe-core")

	_, err := install(context.Background(), srv.Client(), srv.URL, pinned, dir)
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("err %v, want a refusal of the digest", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "axe.min.js")); !os.IsNotExist(err) {
		t.Fatalf("axe.min.js written from a refused tarball (stat: %v)", err)
	}
}

func TestInstallReportsATarballWithoutTheFile(t *testing.T) {
	body := tgz(t, map[string]string{"package/axe.js": "window.axe = {};"})
	srv, _ := registry(t, body)

	_, err := install(context.Background(), srv.Client(), srv.URL, sri(body), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no "+member) {
		t.Fatalf("err %v, want one naming the missing %s", err, member)
	}
}

func TestInstallReportsAnHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)

	_, err := install(context.Background(), srv.Client(), srv.URL, integrity, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err %v, want one naming the 404", err)
	}
}
