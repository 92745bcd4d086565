package fstarget

import (
	"context"
	"errors"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// DirEntry is one entry of a directory as a DirReader reports it. Size and
// ModTime matter only for files.
type DirEntry struct {
	Name    string
	IsDir   bool
	Size    int64
	ModTime time.Time
}

// DirReader reads the directories of a file-system-like target.
type DirReader interface {
	// ReadDir calls fn once for each entry of directory dir (a key below
	// the target root; "" is the root), in any order. It may leave out
	// the entries for which Hidden is true (to save work on them) and may
	// report them; they are dropped either way. A dir that does not exist
	// or is not a directory yields no entries and a nil error. An error
	// returned by fn stops the reading and is returned unchanged.
	ReadDir(ctx context.Context, dir string, fn func(DirEntry) error) error
}

// Hidden reports whether List and Walk leave out a directory entry: "."
// and "..", and the temporary files of in-flight Puts (target.IsTempName).
func Hidden(name string) bool {
	return name == "." || name == ".." || target.IsTempName(name)
}

// List is a driver's List (recursive false: the immediate children of
// dir) or Walk (recursive true: every object below dir, depth first),
// reporting to fn. It validates dir for op and hands the listing to run,
// the driver's call wrapper, which runs it on a connection with
// Listing.Run, possibly again after a connection failure as long as
// Listing.Started is false, and returns its classified error. An error
// returned by fn passes through run unchanged and is returned as is.
func List(ctx context.Context, op, dir string, recursive bool, fn func(target.Entry) error,
	run func(ctx context.Context, op, dir string, l *Listing) error) error {
	if err := target.ValidateDir(op, dir); err != nil {
		return err
	}
	l := &Listing{dir: dir, recursive: recursive, fn: fn}
	err := run(ctx, op, dir, l)
	var cbe *callbackError
	if errors.As(err, &cbe) {
		return cbe.err
	}
	return err
}

// Listing is one List or Walk in progress (see List).
type Listing struct {
	dir       string
	recursive bool
	fn        func(target.Entry) error
	started   bool
}

// Started reports whether the listing has reported an entry. Once it has,
// running it again would report entries twice, which List and Walk must
// never do: the driver fails the call instead, and its caller lists again.
func (l *Listing) Started() bool { return l.started }

// Run reads the directory tree through r and reports the visible entries
// to the listing's fn. An error from fn comes back wrapped so that it
// passes the driver's retries and classification untouched; List unwraps
// it.
func (l *Listing) Run(ctx context.Context, r DirReader) error {
	return walk(ctx, r, l.dir, l.recursive, func(e target.Entry) error {
		l.started = true
		if err := l.fn(e); err != nil {
			return &callbackError{err}
		}
		return nil
	})
}

// callbackError carries an error returned by the caller's fn through the
// driver. It has no Unwrap on purpose: a driver's classifier must not mistake
// the caller's error for one of its own.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// walk reports the visible entries of dir, descending into
// sub-directories after dir's own entries when recursive is true.
func walk(ctx context.Context, r DirReader, dir string, recursive bool, fn func(target.Entry) error) error {
	var subdirs []string
	err := r.ReadDir(ctx, dir, func(de DirEntry) error {
		if Hidden(de.Name) {
			return nil
		}
		e := target.Entry{Key: target.JoinKey(dir, de.Name), IsDir: de.IsDir}
		if !e.IsDir {
			e.Size, e.ModTime = de.Size, de.ModTime
		}
		if recursive && e.IsDir {
			subdirs = append(subdirs, e.Key)
			return nil
		}
		return fn(e)
	})
	if err != nil {
		return err
	}
	for _, sub := range subdirs {
		if err := walk(ctx, r, sub, true, fn); err != nil {
			return err
		}
	}
	return nil
}
