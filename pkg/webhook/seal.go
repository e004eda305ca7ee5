package webhook

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

// sealKeyLen is the length of a Sealer's key: AES-256.
const sealKeyLen = 32

// Sealer keeps subscriptions' secrets sealed at rest: AES-256-GCM under a
// key of the engine's (a file in its data directory, like its NATS keys),
// each secret bound to its subscription's id, so a sealed secret copied to
// another subscription does not open. Engines that share a bucket share
// the key file.
type Sealer struct{ aead cipher.AEAD }

// LoadSealer reads the key at path, or writes a new random one there
// (mode 0600) when there is none.
func LoadSealer(path string) (*Sealer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: seal key: %w", err)
	}
	return NewSealer(key)
}

// createKey writes a new random key at path (mode 0600) and returns it,
// or the key already there: it is written to a temporary file and linked
// into place, so of two engines starting on one data directory one key
// wins and neither reads a key half written.
func createKey(path string) ([]byte, error) {
	key := make([]byte, sealKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".webhook-key-*")
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

// NewSealer seals with key, which must be 32 bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != sealKeyLen {
		return nil, fmt.Errorf("webhook: a seal key is %d bytes, not %d", sealKeyLen, len(key))
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

// errOpen is returned when a sealed secret does not open: another key, or
// another subscription's.
var errOpen = errors.New("webhook: a sealed secret does not open with this engine's key")

// seal seals s for the subscription id: a random nonce, then the
// ciphertext.
func (sl *Sealer) seal(s Secret, id string) []byte {
	nonce := make([]byte, sl.aead.NonceSize(), sl.aead.NonceSize()+len(s)+sl.aead.Overhead())
	_, _ = rand.Read(nonce)
	return sl.aead.Seal(nonce, nonce, s, []byte(id))
}

// open opens what seal sealed for id.
func (sl *Sealer) open(sealed []byte, id string) (Secret, error) {
	n := sl.aead.NonceSize()
	if len(sealed) < n {
		return nil, errOpen
	}
	s, err := sl.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return nil, errOpen
	}
	return s, nil
}
