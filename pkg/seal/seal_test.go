package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadKeepsItsKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "seal.key")
	first, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", fi, err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := []byte("whsec_0123456789abcdef"), error(nil)
	if opened, err := again.Open(first.Seal(secret, "wh_1"), "wh_1"); err != nil || !bytes.Equal(opened, secret) {
		t.Errorf("a sealer loaded again does not open what the first sealed: %v", err)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Error("a key file of the wrong length was accepted")
	}
}

// TestLoadRace: engines starting together on one data directory end
// up with one key.
func TestLoadRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "seal.key")
	sealers := make([]*Sealer, 8)
	errs := make([]error, len(sealers))
	var wg sync.WaitGroup
	for i := range sealers {
		wg.Go(func() { sealers[i], errs[i] = Load(path) })
	}
	wg.Wait()
	secret, _ := []byte("whsec_0123456789abcdef"), error(nil)
	for i, s := range sealers {
		if errs[i] != nil {
			t.Fatalf("LoadSealer %d: %v", i, errs[i])
		}
		if _, err := sealers[0].Open(s.Seal(secret, "wh_1"), "wh_1"); err != nil {
			t.Errorf("sealer %d holds another key", i)
		}
	}
}

// TestSealedBindsItsHolder: a sealed secret opens only for the holder it
// was sealed for, and only with its key.
func TestSealedBindsItsHolder(t *testing.T) {
	t.Parallel()
	a, err := Load(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealed := a.Seal([]byte("xoxb-secret"), "acme/slack")
	if bytes.Contains(sealed, []byte("xoxb-secret")) {
		t.Fatal("the sealed secret holds it in the clear")
	}
	if got, err := a.Open(sealed, "acme/slack"); err != nil || string(got) != "xoxb-secret" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := a.Open(sealed, "globex/slack"); err != ErrOpen {
		t.Errorf("opened for another holder: %v", err)
	}
	if _, err := b.Open(sealed, "acme/slack"); err != ErrOpen {
		t.Errorf("opened with another key: %v", err)
	}
}
