// Package secretbox encrypts secret values before they are stored in etcd,
// with AES-256-GCM under keys kept in a key file on the server, never in
// etcd.
//
// What it protects: anyone who reads etcd but not the key file learns no
// secret value. That covers a copy of the embedded etcd's files, etcd
// snapshots and backups, and the operators of an external etcd cluster.
// Each value is bound to its etcd key (the key is the GCM additional data),
// so a value copied to another secret's key does not decrypt.
//
// What it does not protect: root on the server, or anyone who can read the
// key file, can decrypt everything; the running process holds the keys and
// the decrypted values in memory. Values written before encryption was
// introduced, and values sealed under a key later removed by a rekey, stay
// in etcd's history (old revisions, WAL, snapshots) until etcd compacts and
// defragments them; credentials that may have leaked that way must be
// rotated at their provider. Someone who can write to etcd is not kept out:
// a plaintext record (the pre-encryption format) is still accepted, so that
// existing installations keep working and get migrated.
//
// Servers that share one external etcd must share one key file.
package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

var idRegexp = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Keyring is the set of keys of one key file. The first key is the primary:
// new values are sealed under it; the others only open older values. A
// Keyring is safe for concurrent use; changes are written to its file
// before they take effect.
type Keyring struct {
	path   string
	mu     sync.RWMutex
	keys   []key // keys[0] is the primary
	rotate sync.Mutex
}

type key struct {
	id  string
	raw []byte
}

// fileFormat is the key file's JSON: {"keys":[{"id":..,"key":<base64>}]},
// primary first.
type fileFormat struct {
	Keys []fileKey `json:"keys"`
}

type fileKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// LoadOrCreate opens the key file at path. When it does not exist, it is
// created (mode 0600, its folder 0700 if that is created too) holding one
// new random key. It fails if the file is readable or writable by group or
// others, is not a regular file, or does not hold well-formed keys; the
// error says how to fix it. created reports whether the file was made now.
func LoadOrCreate(path string) (ring *Keyring, created bool, err error) {
	ring = &Keyring{path: path}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		k, err := newKey()
		if err != nil {
			return nil, false, err
		}
		ring.keys = []key{k}
		if err := ring.save(ring.keys); err != nil {
			return nil, false, err
		}
		return ring, true, nil
	}
	if ring.keys, err = readFile(path); err != nil {
		return nil, false, err
	}
	return ring, false, nil
}

// Path is the key file's path.
func (r *Keyring) Path() string { return r.path }

// IDs returns the key IDs, primary first.
func (r *Keyring) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

func readFile(path string) ([]key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secrets key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets key file %s is not a regular file; point --secrets-key-file at the key file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secrets key file %s is accessible by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secrets key file: %w", err)
	}
	keys, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("secrets key file %s is malformed: %w; restore it from your copy (the secrets in etcd can only be read with it)", path, err)
	}
	return keys, nil
}

func parse(data []byte) ([]key, error) {
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not the expected JSON: %w", err)
	}
	if len(f.Keys) == 0 {
		return nil, errors.New("it holds no key")
	}
	seen := map[string]bool{}
	keys := make([]key, 0, len(f.Keys))
	for i, fk := range f.Keys {
		if !idRegexp.MatchString(fk.ID) {
			return nil, fmt.Errorf("key %d has an invalid id (want 1-64 letters, digits, '_' or '-')", i+1)
		}
		if seen[fk.ID] {
			return nil, fmt.Errorf("key id %q appears twice", fk.ID)
		}
		seen[fk.ID] = true
		raw, err := base64.StdEncoding.DecodeString(fk.Key)
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("key %q is not %d bytes in base64", fk.ID, KeySize)
		}
		keys = append(keys, key{id: fk.ID, raw: raw})
	}
	return keys, nil
}

func newKey() (key, error) {
	raw := make([]byte, KeySize)
	idb := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		return key{}, fmt.Errorf("generate a secrets key: %w", err)
	}
	if _, err := rand.Read(idb); err != nil {
		return key{}, fmt.Errorf("generate a secrets key id: %w", err)
	}
	return key{id: hex.EncodeToString(idb), raw: raw}, nil
}

func (r *Keyring) lookup(id string) ([]byte, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.id == id {
			return k.raw, true
		}
	}
	return nil, false
}

func (r *Keyring) primary() key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[0]
}
