package cifs

import (
	"context"
	"errors"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
)

// callbackError carries an error returned by the caller's fn through the
// driver unchanged.
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
	err := d.do(ctx, op, dir, func() bool { return !called }, func(ctx context.Context, sh *smb2.Share) error {
		return d.listDir(sh, dir, recursive, wrapped)
	})
	var cbe *callbackError
	if errors.As(err, &cbe) {
		return cbe.err
	}
	return err
}

func (d *Driver) listDir(sh *smb2.Share, dir string, recursive bool, fn func(target.Entry) error) error {
	fis, err := sh.ReadDir(d.cfg.remote(dir))
	if err != nil {
		if isNotExist(err) {
			return nil // a missing directory has no entries
		}
		if fi, serr := sh.Stat(d.cfg.remote(dir)); serr == nil && !fi.IsDir() {
			return nil // nor does a file (servers answer "not supported" or similar)
		}
		return err
	}
	var subdirs []string
	for _, fi := range fis {
		name := fi.Name()
		if name == "." || name == ".." || target.IsTempName(name) {
			continue
		}
		e := target.Entry{Key: target.JoinKey(dir, name), IsDir: fi.IsDir()}
		if !e.IsDir {
			e.Size, e.ModTime = fi.Size(), fi.ModTime()
		}
		if recursive && e.IsDir {
			subdirs = append(subdirs, e.Key)
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	for _, sub := range subdirs {
		if err := d.listDir(sh, sub, true, fn); err != nil {
			return err
		}
	}
	return nil
}
