// Package seal keeps the secrets integrations hold (webhook signing
// secrets, chat bot tokens) sealed at rest: AES-256-GCM under a key of the
// engine's, a file in its data directory like its NATS keys.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keyLen is the length of a Sealer's key: AES-256.
const keyLen = 32

// Sealer seals secrets, each bound to what holds it (a subscription's
// id, a tenant's integration), so that a sealed secret copied to another
// holder does not open. Engines that share a bucket share the key file.
type Sealer struct{ aead cipher.AEAD }

// Load reads the key at path, or writes a new random one there (mode
// 0600) when there is none.
func Load(path string) (*Sealer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: key: %w", err)
	}
	return New(key)
}

// createKey writes a new random key at path (mode 0600) and returns it,
// or the key already there: it is written to a temporary file and linked
// into place, so of two engines starting on one data directory one key
// wins and neither reads a key half written.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seal-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// New seals with key, which must be 32 bytes.
func New(key []byte) (*Sealer, error) {
	if len(key) != keyLen {
		return nil, fmt.Errorf("seal: a key is %d bytes, not %d", keyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// ErrOpen is returned when a sealed secret does not open: another key, or
// another holder's.
var ErrOpen = errors.New("seal: a sealed secret does not open with this engine's key")

// Seal seals s for its holder: a random nonce, then the ciphertext.
func (sl *Sealer) Seal(s []byte, holder string) []byte {
	nonce := make([]byte, sl.aead.NonceSize(), sl.aead.NonceSize()+len(s)+sl.aead.Overhead())
	_, _ = rand.Read(nonce)
	return sl.aead.Seal(nonce, nonce, s, []byte(holder))
}

// Open opens what Seal sealed for holder.
func (sl *Sealer) Open(sealed []byte, holder string) ([]byte, error) {
	n := sl.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrOpen
	}
	s, err := sl.aead.Open(nil, sealed[:n], sealed[n:], []byte(holder))
	if err != nil {
		return nil, ErrOpen
	}
	return s, nil
}
