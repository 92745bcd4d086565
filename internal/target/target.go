// Package target defines the one narrow contract every backup-target driver
// implements (file, s3, nfs, cifs, azblob), plus the error classes and
// capabilities the layers above act on. Drivers live in sub-packages; the
// registry that maps URL schemes to drivers lives in target/all so this
// package imports no driver.
//
// Keys are slash-separated paths relative to the target's root (the bucket
// prefix, the export path, the share path or the folder given in the URL),
// never starting with "/", never containing "." or ".." elements.
package target

import (
	"context"
	"time"
)

// Target is one backup store location reached by a driver.
//
// Every method is safe for concurrent use. Every method honours ctx: when ctx
// is done the call returns promptly with an error wrapping ctx.Err().
// Every error returned is classified (see Kind): callers use IsNotFound,
// IsTransient and IsPermanent, never the driver's own error types.
type Target interface {
	// Put stores data under key, replacing any previous object.
	// Visibility is atomic: a concurrent or later Get sees either the whole
	// previous object (or not-found) or the whole new one, never a prefix.
	// File-system drivers write a temp file in the same directory, fsync it,
	// rename it over key and fsync the directory, so a successful Put is
	// durable. Parent "directories" are created as needed.
	// Put does not retain data after it returns.
	Put(ctx context.Context, key string, data []byte) error

	// Get returns the whole object stored under key.
	// A missing key is an error for which IsNotFound is true.
	Get(ctx context.Context, key string) ([]byte, error)

	// Stat returns the size and modification time of the object under key,
	// as the server records them (ModTime is the server's clock: the lock
	// protocol compares it). A missing key is an IsNotFound error.
	Stat(ctx context.Context, key string) (Entry, error)

	// List calls fn once for every immediate child of the directory dir
	// ("" is the root), in no particular order: objects with IsDir false, and
	// sub-directories (common prefixes) with IsDir true. Entry.Key is the
	// child's full key (dir + "/" + name) without a trailing slash.
	// Temporary files of in-flight Puts are never reported.
	// A dir that does not exist yields no entries and a nil error.
	// If List returns nil, every child that existed for the whole call was
	// reported exactly once; on any error the listing must be treated as
	// partial (never delete anything on the strength of a failed List).
	// An error returned by fn stops the listing and is returned as is.
	List(ctx context.Context, dir string, fn func(Entry) error) error

	// Walk is List applied recursively: fn is called once for every object
	// (never for directories) whose key starts with dir + "/". The same
	// completeness and error rules as List apply.
	Walk(ctx context.Context, dir string, fn func(Entry) error) error

	// Delete removes the object under key. Deleting a missing key is not an
	// error. Delete never removes anything but key itself: no prefix or
	// "rm -rf" semantics. Empty parent directories may be left behind or
	// removed, at the driver's choice.
	Delete(ctx context.Context, key string) error

	// Check verifies, cheaply and without a whole-store listing, that the
	// target is reachable and usable with the given credentials (a bucket
	// HEAD, a stat of the export root, ...). Its error message is shown to
	// users as the reason the target is unavailable.
	Check(ctx context.Context) error

	// Properties describes the driver's capabilities as data.
	Properties() Properties

	// Close releases connections. The Target must not be used afterwards.
	Close() error
}

// Entry describes one object or directory returned by Stat, List or Walk.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// Properties are a driver's capabilities; callers branch on these, never on
// the concrete driver type.
type Properties struct {
	// Scheme is the URL scheme the driver serves ("file", "s3", ...).
	Scheme string
	// Connections is how many requests the driver can usefully run in
	// parallel; the concurrency-limit decorator uses it as the default cap.
	Connections int
	// HasDirs is true when directories exist on their own (file systems),
	// false for flat object stores where a "directory" is only a prefix.
	HasDirs bool
}
