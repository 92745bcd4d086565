package cifs

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/fstarget"
)

// Put writes data durably under key: temp file, write, FLUSH, close,
// rename over key.
func (d *Driver) Put(ctx context.Context, key string, data []byte) error {
	if err := target.ValidateKey(target.OpPut, key); err != nil {
		return err
	}
	return d.do(ctx, target.OpPut, key, always, func(ctx context.Context, sh *smb2.Share) error {
		return fstarget.Put(ctx, d.fs(sh), key, data)
	})
}

// retryShared runs fn until it succeeds, fails other than by a sharing
// conflict, or about two seconds of backoff have passed.
func retryShared(ctx context.Context, fn func() error) error {
	delay := 5 * time.Millisecond
	for i := 0; ; i++ {
		err := fn()
		if err == nil || i == 14 || !(ntStatus(err) == statusSharingViolation || errors.Is(err, os.ErrPermission)) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Get reads the whole object under key.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	if err := target.ValidateKey(target.OpGet, key); err != nil {
		return nil, err
	}
	var out []byte
	remote := d.cfg.remote(key)
	lock := keyLock(d.cfg.addr, d.cfg.share, remote)
	err := d.do(ctx, target.OpGet, key, always, func(ctx context.Context, sh *smb2.Share) error {
		lock.RLock()
		defer lock.RUnlock()
		var f *smb2.File
		err := retryShared(ctx, func() (err error) {
			f, err = sh.Open(remote)
			return err
		})
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return &os.PathError{Op: "open", Path: key, Err: os.ErrNotExist}
		}
		buf := make([]byte, fi.Size())
		n, err := io.ReadFull(f, buf)
		if err != nil {
			return err
		}
		out = buf[:n]
		return nil
	})
	return out, err
}

// Stat returns the size and server modification time of key.
func (d *Driver) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := target.ValidateKey(target.OpStat, key); err != nil {
		return target.Entry{}, err
	}
	var e target.Entry
	err := d.do(ctx, target.OpStat, key, always, func(ctx context.Context, sh *smb2.Share) error {
		fi, err := sh.Stat(d.cfg.remote(key))
		if err != nil {
			return err
		}
		e = target.Entry{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
		if e.IsDir {
			e.Size = 0
		}
		return nil
	})
	return e, err
}

// Delete removes the object under key. A missing key, or a key that is
// only a directory, is not an error.
func (d *Driver) Delete(ctx context.Context, key string) error {
	if err := target.ValidateKey(target.OpDelete, key); err != nil {
		return err
	}
	return d.do(ctx, target.OpDelete, key, always, func(ctx context.Context, sh *smb2.Share) error {
		name := d.cfg.remote(key)
		fi, err := sh.Stat(name)
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return err
		}
		if fi.IsDir() {
			return nil
		}
		lock := keyLock(d.cfg.addr, d.cfg.share, name)
		lock.Lock()
		defer lock.Unlock()
		err = retryShared(ctx, func() error { return sh.Remove(name) })
		if err != nil && isNotExist(err) {
			return nil
		}
		return err
	})
}
