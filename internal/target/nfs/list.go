package nfs

import (
	"context"
	"errors"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

// callbackError carries an error returned by the caller's fn through the
// driver unchanged: it is returned as is, never classified or retried.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// List reports the immediate children of dir, hiding temporary files.
func (d *Driver) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return d.list(ctx, target.OpList, dir, false, fn)
}

// Walk reports every object below dir, depth first.
func (d *Driver) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return d.list(ctx, target.OpWalk, dir, true, fn)
}

func (d *Driver) list(ctx context.Context, op, dir string, recursive bool, fn func(target.Entry) error) error {
	if err := target.ValidateDir(op, dir); err != nil {
		return err
	}
	called := false
	wrapped := func(e target.Entry) error {
		called = true
		if err := fn(e); err != nil {
			return &callbackError{err}
		}
		return nil
	}
	err := d.do(ctx, op, dir, func(s *session) error {
		if called { // never report an entry twice: a retry after a callback is an error
			return errRetryAfterCallback
		}
		return s.list(ctx, dir, recursive, wrapped)
	})
	var cbe *callbackError
	if errors.As(err, &cbe) {
		return cbe.err
	}
	return err
}

// errRetryAfterCallback stops a listing that hit a stale handle after it
// had reported entries; the caller must treat it as partial and list again.
var errRetryAfterCallback = nfs3.ErrStale

func (s *session) list(ctx context.Context, dir string, recursive bool, fn func(target.Entry) error) error {
	fh, err := s.dirFH(ctx, elems(dir), false)
	if errors.Is(err, nfs3.ErrNoEnt) || errors.Is(err, nfs3.ErrNotDir) {
		return nil // a missing directory has no entries
	}
	if err != nil {
		return err
	}
	var subdirs []string
	err = s.conn.ReadDirPlus(ctx, fh, func(de nfs3.DirEntry) error {
		if de.Name == "." || de.Name == ".." || target.IsTempName(de.Name) {
			return nil
		}
		if !de.HasAttr {
			_, attr, err := s.conn.Lookup(ctx, fh, de.Name)
			if errors.Is(err, nfs3.ErrNoEnt) {
				return nil // removed since the listing
			}
			if err != nil {
				return err
			}
			de.Attr = attr
		}
		e := target.Entry{Key: target.JoinKey(dir, de.Name), IsDir: de.Attr.IsDir()}
		if !e.IsDir {
			e.Size, e.ModTime = int64(de.Attr.Size), de.Attr.Mtime
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
		if err := s.list(ctx, sub, true, fn); err != nil {
			return err
		}
	}
	return nil
}
