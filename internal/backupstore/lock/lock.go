// Package lock implements Longhorn's backup-store lock protocol, so plinth
// and Longhorn components sharing a target exclude each other.
//
// A lock is a JSON file <dir>/lock-<16hex>.lck holding
// {"Name":...,"Type":1|2,"Acquired":bool}. Locks of the same type never
// conflict (backups and restores run together, so do deletes); a lock of
// the other type that is not expired and sorts first (Acquired, then older
// server mtime, then smaller name) blocks acquisition. A lock expires
// Expiry after its file's server mtime; holders rewrite it every Refresh.
//
// Where upstream is fragile this package is strict (reference §11.2): a
// lock file that cannot be read fails the attempt instead of being
// skipped; expiry compares server mtimes with the server mtime of our own
// file, never with the local clock; a holder whose refreshes keep failing
// loses the lock and its Context is cancelled before the lock could expire.
package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Type is a lock class.
type Type int

// Lock types; values are Longhorn's.
const (
	// Backup is taken by backups and restores (type 1).
	Backup Type = 1
	// Restore equals Backup: restores run alongside backups.
	Restore Type = 1
	// Delete is taken by deletes and garbage collection (type 2).
	Delete Type = 2
)

// Config holds the protocol's timings; tests shorten them.
type Config struct {
	// Expiry is how long after its last server mtime a lock is ignored
	// (Longhorn: 150 s).
	Expiry time.Duration
	// Refresh is how often a holder rewrites its lock (Longhorn: 60 s).
	Refresh time.Duration
	// CheckWait is the pause between writing our file and checking the
	// others, covering mtime resolution and in-flight writers (Longhorn: 2 s).
	CheckWait time.Duration
}

// DefaultConfig is Longhorn's timing.
func DefaultConfig() Config {
	return Config{Expiry: 150 * time.Second, Refresh: 60 * time.Second, CheckWait: 2 * time.Second}
}

// ErrConflict means a lock of the other type holds the store; retry later.
var ErrConflict = errors.New("backup store is locked by an operation of the other kind")

// ErrLost is the cause a held lock's Context is cancelled with when the
// lock could not be refreshed in time to stay valid.
var ErrLost = errors.New("backup store lock lost: refreshing it kept failing")

// fileBody is the JSON written in a lock file; field names are Longhorn's.
type fileBody struct {
	Name     string
	Type     Type
	Acquired bool
}

// newName returns "lock-" plus 16 random hex characters.
func newName() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "lock-" + hex.EncodeToString(b[:])
}

func encodeBody(name string, t Type, acquired bool) []byte {
	out, _ := json.Marshal(fileBody{Name: name, Type: t, Acquired: acquired})
	return out
}

// peer is another lock file as seen during a check.
type peer struct {
	body    fileBody
	modTime time.Time
}

// sortsBefore is Longhorn's compareLocks: acquired locks first, then the
// older server time, then the smaller name.
func sortsBefore(a, b peer) bool {
	if a.body.Acquired != b.body.Acquired {
		return a.body.Acquired
	}
	if !a.modTime.Equal(b.modTime) {
		return a.modTime.Before(b.modTime)
	}
	return a.body.Name < b.body.Name
}

// Held is an acquired lock. Run the protected work under Context, and call
// Release when done.
type Held struct {
	l      *Locker
	key    string
	stop   chan struct{}
	once   sync.Once
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}
	// lastWrite is when the last write of the file (refresh) returned,
	// successful or not: the file's server mtime is no later than it, so
	// peers consider the file expired by lastWrite+Expiry. Written by the
	// refresh goroutine, read by Release after it stopped.
	lastWrite time.Time
	// failedWrite is set when a refresh write returned an error: it may
	// still reach the server later (a request cut off by its deadline) and
	// re-create the file after Release deleted it. Same access as lastWrite.
	failedWrite bool
}

// Context is cancelled (cause ErrLost) if the lock is lost, and on Release.
func (h *Held) Context() context.Context { return h.ctx }

// Key is the lock file's key.
func (h *Held) Key() string { return h.key }
