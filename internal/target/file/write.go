package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// begin checks ctx and the key shape for one call.
func begin(ctx context.Context, op, key string, isDir bool) error {
	if err := ctx.Err(); err != nil {
		return target.NewError(op, key, target.KindPermanent, err)
	}
	if isDir {
		return target.ValidateDir(op, key)
	}
	return target.ValidateKey(op, key)
}

// Put writes data durably: temp file, write, fsync, close, rename over the
// key, fsync of the directory. On failure the temp file is removed and any
// previous object under key is untouched.
func (t *Target) Put(ctx context.Context, key string, data []byte) error {
	if err := begin(ctx, target.OpPut, key, false); err != nil {
		return err
	}
	p := t.path(key)
	dir := filepath.Dir(p)
	f, err := createTemp(p)
	if errors.Is(err, os.ErrNotExist) {
		if err := t.mkdirParents(key, dir); err != nil {
			return err
		}
		f, err = createTemp(p)
	}
	if err != nil {
		return classify(target.OpPut, key, err)
	}
	tmp := f.Name()
	err = writeSync(f, data)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort; List hides it if it stays
		return classify(target.OpPut, key, err)
	}
	if err := syncDir(dir); err != nil {
		return classify(target.OpPut, key, fmt.Errorf("object renamed into place but directory fsync failed: %w", err))
	}
	return nil
}

// mkdirParents creates dir and its missing parents below the root. A
// missing root is a permanent error: the target may be an unmounted mount
// point, which must not be filled silently.
func (t *Target) mkdirParents(key, dir string) error {
	if _, err := os.Stat(t.root); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return target.NewError(target.OpPut, key, target.KindPermanent,
				fmt.Errorf("backup target directory %s does not exist; create it or fix the URL", t.root))
		}
		return classify(target.OpPut, key, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return classify(target.OpPut, key, err)
	}
	return nil
}

// lastNanos makes temp-file suffixes unique within this process even when
// the clock does not advance between two writers of the same key.
var lastNanos atomic.Int64

func uniqueNanos() int64 {
	for {
		now, old := time.Now().UnixNano(), lastNanos.Load()
		if now <= old {
			now = old + 1
		}
		if lastNanos.CompareAndSwap(old, now) {
			return now
		}
	}
}

// createTemp exclusively creates the temp file for path p, in p's directory
// so the rename never crosses file systems.
func createTemp(p string) (*os.File, error) {
	for {
		f, err := os.OpenFile(target.TempName(p, uniqueNanos()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue // another host's writer picked the same suffix
		}
		return f, err
	}
}

// writeSync writes data, fsyncs and closes f, checking the written length.
func writeSync(f *os.File, data []byte) error {
	n, err := f.Write(data)
	if err == nil && n != len(data) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(data))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir fsyncs a directory so a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Delete removes the file under key. A missing key, or a key that is only
// a directory, is not an error; directories are never removed.
func (t *Target) Delete(ctx context.Context, key string) error {
	if err := begin(ctx, target.OpDelete, key, false); err != nil {
		return err
	}
	p := t.path(key)
	fi, err := os.Lstat(p)
	if err != nil {
		if cerr := classify(target.OpDelete, key, err); !target.IsNotFound(cerr) {
			return cerr
		}
		return nil
	}
	if fi.IsDir() {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return classify(target.OpDelete, key, err)
	}
	return nil
}
