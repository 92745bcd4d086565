package file

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/plinth-storage/plinth/internal/target"
)

// notFound is the error for a key that holds no object.
func notFound(op, key string) error {
	return target.NewError(op, key, target.KindNotFound, target.ErrNotFound)
}

// Get reads the whole file under key. A directory is not an object.
func (t *Target) Get(ctx context.Context, key string) ([]byte, error) {
	if err := begin(ctx, target.OpGet, key, false); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(t.path(key))
	if errors.Is(err, syscall.EISDIR) {
		return nil, notFound(target.OpGet, key)
	}
	if err != nil {
		return nil, classify(target.OpGet, key, err)
	}
	return data, nil
}

// Stat returns the file's size and mtime (the file server's clock).
func (t *Target) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := begin(ctx, target.OpStat, key, false); err != nil {
		return target.Entry{}, err
	}
	fi, err := os.Stat(t.path(key))
	if err != nil {
		return target.Entry{}, classify(target.OpStat, key, err)
	}
	if fi.IsDir() {
		return target.Entry{}, notFound(target.OpStat, key)
	}
	return target.Entry{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List reports dir's immediate children, reading the directory in batches.
func (t *Target) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := begin(ctx, target.OpList, dir, true); err != nil {
		return err
	}
	return t.readDir(ctx, target.OpList, dir, fn)
}

// Walk reports every file below dir, depth first.
func (t *Target) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	if err := begin(ctx, target.OpWalk, dir, true); err != nil {
		return err
	}
	var visit func(target.Entry) error
	visit = func(e target.Entry) error {
		if e.IsDir {
			return t.readDir(ctx, target.OpWalk, e.Key, visit)
		}
		return fn(e)
	}
	return t.readDir(ctx, target.OpWalk, dir, visit)
}

// readDir calls fn for each child of dir except temp files and special
// files. A missing dir (or a dir that is a file) has no children. Errors
// from fn pass through unchanged.
func (t *Target) readDir(ctx context.Context, op, dir string, fn func(target.Entry) error) error {
	d, err := os.Open(t.path(dir))
	if err != nil {
		if cerr := classify(op, dir, err); !target.IsNotFound(cerr) {
			return cerr
		}
		return nil
	}
	defer d.Close()
	for {
		if err := ctx.Err(); err != nil {
			return target.NewError(op, dir, target.KindPermanent, err)
		}
		batch, err := d.ReadDir(1024)
		for _, de := range batch {
			e, ok, err := t.entry(op, dir, de)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return classify(op, dir, err)
		}
	}
}

// entry converts a directory entry; ok is false for entries to hide (temp
// files, special files, files deleted since the directory was read).
func (t *Target) entry(op, dir string, de fs.DirEntry) (e target.Entry, ok bool, err error) {
	name := de.Name()
	if target.IsTempName(name) {
		return e, false, nil
	}
	key := target.JoinKey(dir, name)
	var fi fs.FileInfo
	if de.Type()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(t.path(key))
	} else {
		fi, err = de.Info()
	}
	if err != nil {
		if cerr := classify(op, key, err); !target.IsNotFound(cerr) {
			return e, false, cerr
		}
		return e, false, nil
	}
	switch {
	case fi.IsDir():
		return target.Entry{Key: key, IsDir: true, ModTime: fi.ModTime()}, true, nil
	case fi.Mode().IsRegular():
		return target.Entry{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, true, nil
	}
	return e, false, nil
}
