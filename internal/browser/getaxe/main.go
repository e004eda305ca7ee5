// Command getaxe puts a pinned axe-core release at bin/axe-core/axe.min.js
// for the browser tests (internal/browser), without a Node toolchain: it
// downloads the release's tarball from the npm registry, checks it against
// the digest pinned here, and extracts the one file the tests inject into
// pages. make axe runs it (make test does, first); it does nothing when the
// file is already there and unchanged.
//
// To move to another axe-core release, set version and integrity from the
// registry's metadata (https://registry.npmjs.org/axe-core/<version>, its
// dist.integrity).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

const (
	version = "4.14.1"
	// integrity is the registry's dist.integrity of the tarball: its
	// SHA-512, in the Subresource Integrity form npm uses.
	integrity = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
	tarball   = "https://registry.npmjs.org/axe-core/-/axe-core-" + version + ".tgz"
	// member is the file taken from the tarball.
	member = "package/axe.min.js"
	// maxTarball bounds what is read from the registry (4.14.1's tarball
	// is 0.7 MB).
	maxTarball = 32 << 20
)

func main() {
	dir := flag.String("dir", filepath.Join("bin", "axe-core"), "where axe.min.js goes; internal/browser looks in bin/axe-core under the module root, where make runs this")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "getaxe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	fetched, err := install(ctx, http.DefaultClient, tarball, integrity, dir)
	if err != nil {
		return err
	}
	if fetched {
		fmt.Fprintf(os.Stderr, "getaxe: axe-core %s in %s\n", version, dir)
	}
	return nil
}

// install puts the member of the tarball at url into dir as axe.min.js,
// unless it is there already from the same tarball and unchanged. A sidecar,
// axe.min.js.sri, holds the tarball's integrity and the file's own digest:
// a new pin or an edited file fetches again. It reports whether it fetched.
func install(ctx context.Context, client *http.Client, url, want, dir string) (bool, error) {
	dst := filepath.Join(dir, "axe.min.js")
	sidecar := dst + ".sri"
	if ok, err := current(dst, sidecar, want); err != nil {
		return false, err
	} else if ok {
		return false, nil
	}
	tgz, err := download(ctx, client, url)
	if err != nil {
		return false, err
	}
	if got := sri(tgz); got != want {
		return false, fmt.Errorf("%s: digest %s, want the pinned %s: refusing it", url, got, want)
	}
	js, err := extract(tgz, member)
	if err != nil {
		return false, fmt.Errorf("%s: %w", url, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	if err := writeAtomic(dst, js); err != nil {
		return false, err
	}
	if err := writeAtomic(sidecar, []byte(want+" "+sri(js)+"\n")); err != nil {
		return false, err
	}
	return true, nil
}

// current reports whether dst was extracted from the tarball whose
// integrity is want and is unchanged since.
func current(dst, sidecar, want string) (bool, error) {
	side, err := os.ReadFile(sidecar)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	from, file, ok := strings.Cut(strings.TrimSpace(string(side)), " ")
	if !ok || from != want {
		return false, nil
	}
	js, err := os.ReadFile(dst)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return sri(js) == file, nil
}

func download(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download axe-core %s: %w", version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download axe-core %s: %s answered %s", version, url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTarball+1))
	if err != nil {
		return nil, fmt.Errorf("download axe-core %s: %w", version, err)
	}
	if len(body) > maxTarball {
		return nil, fmt.Errorf("download axe-core %s: %s is larger than %d bytes", version, url, maxTarball)
	}
	return body, nil
}

// extract returns the contents of the regular file name in the gzipped tar.
func extract(tgz []byte, name string) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no %s in the tarball", name)
		}
		if err != nil {
			return nil, fmt.Errorf("read the tarball: %w", err)
		}
		if h.Name != name {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%s in the tarball is not a regular file", name)
		}
		return io.ReadAll(tr)
	}
}

// sri is b's SHA-512 in the Subresource Integrity form.
func sri(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// writeAtomic writes b to path through a temporary file in the same
// directory, so an interrupted run never leaves half a file.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
