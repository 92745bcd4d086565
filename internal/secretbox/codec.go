package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Format of a sealed value:
//
//	version (1 byte, 1) | len(key id) (1 byte) | key id | nonce (12 bytes) | AES-256-GCM ciphertext+tag
//
// The additional data is the header (version, id length, id) followed by
// the etcd key, so a value opens only under the name it was sealed for.
const version1 = 1

// ErrWrongKey: the value was sealed under a key the key file does not hold.
var ErrWrongKey = errors.New("sealed under a key that is not in the secrets key file")

// ErrDamaged: the value does not open (altered, truncated, or moved to
// another etcd key).
var ErrDamaged = errors.New("does not decrypt: it was altered or moved from another secret")

// Seal encrypts plain for the etcd key name under the primary key.
func (r *Keyring) Seal(name string, plain []byte) ([]byte, error) {
	k := r.primary()
	aead, err := gcm(k.raw)
	if err != nil {
		return nil, err
	}
	hdr := append([]byte{version1, byte(len(k.id))}, k.id...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal %s: generate nonce: %w", name, err)
	}
	out := append(append([]byte{}, hdr...), nonce...)
	return aead.Seal(out, nonce, plain, additional(hdr, name)), nil
}

// Open decrypts a value Seal made for the same name. A value that is not
// sealed (it starts with '{', the JSON written before encryption existed)
// is returned as is. Errors: ErrWrongKey when its key is not in the file,
// ErrDamaged when it does not authenticate, and a format error otherwise.
func (r *Keyring) Open(name string, stored []byte) ([]byte, error) {
	if isPlain(stored) {
		return stored, nil
	}
	id, rest, err := parseHeader(stored)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	raw, ok := r.lookup(id)
	if !ok {
		return nil, fmt.Errorf("open %s: %w (key id %s): point --secrets-key-file at the key file that sealed it",
			name, ErrWrongKey, id)
	}
	aead, err := gcm(raw)
	if err != nil {
		return nil, err
	}
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("open %s: sealed value is truncated: %w", name, ErrDamaged)
	}
	nonce, ct := rest[:aead.NonceSize()], rest[aead.NonceSize():]
	hdr := stored[:len(stored)-len(rest)]
	plain, err := aead.Open(nil, nonce, ct, additional(hdr, name))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, ErrDamaged)
	}
	return plain, nil
}

// Stale reports whether stored should be sealed again: it is plaintext or
// sealed under a key other than the primary.
func (r *Keyring) Stale(stored []byte) bool {
	if isPlain(stored) {
		return true
	}
	id, _, err := parseHeader(stored)
	return err != nil || id != r.primary().id
}

func isPlain(stored []byte) bool {
	t := bytes.TrimLeft(stored, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

func parseHeader(stored []byte) (id string, rest []byte, err error) {
	if len(stored) < 2 {
		return "", nil, errors.New("stored value is neither JSON nor a sealed value")
	}
	if stored[0] != version1 {
		return "", nil, fmt.Errorf("sealed value has unknown format version %d (written by a newer plinth?)", stored[0])
	}
	n := int(stored[1])
	if n == 0 || len(stored) < 2+n {
		return "", nil, fmt.Errorf("sealed value has a damaged header: %w", ErrDamaged)
	}
	return string(stored[2 : 2+n]), stored[2+n:], nil
}

func additional(hdr []byte, name string) []byte {
	return append(append([]byte{}, hdr...), name...)
}

func gcm(raw []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return aead, nil
}
