package nfs

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/fstarget"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

var _ fstarget.Writer[[]byte, []byte] = (*session)(nil)

// Put writes data durably under key: temp file, unstable writes, COMMIT,
// RENAME (see the package doc).
func (d *Driver) Put(ctx context.Context, key string, data []byte) error {
	if err := target.ValidateKey(target.OpPut, key); err != nil {
		return err
	}
	return d.do(ctx, target.OpPut, key, func(s *session) error {
		return fstarget.Put(ctx, s, key, data)
	})
}

// MkdirAll returns the handle of directory dir, making it and its parents
// as needed.
func (s *session) MkdirAll(ctx context.Context, dir string) ([]byte, error) {
	return s.dirFH(ctx, elems(dir), true)
}

// Create makes file name in dir and returns its handle.
func (s *session) Create(ctx context.Context, dir []byte, name string) ([]byte, error) {
	return s.conn.Create(ctx, dir, name, 0o644)
}

// Rename renames from over to within dir.
func (s *session) Rename(ctx context.Context, dir []byte, from, to string) error {
	return s.conn.Rename(ctx, dir, from, dir, to)
}

// Remove removes file name from dir.
func (s *session) Remove(ctx context.Context, dir []byte, name string) error {
	return s.conn.Remove(ctx, dir, name)
}

// errVerifierChanged means the server restarted between WRITE and COMMIT
// and may have lost the unstable data: the whole Put must be redone.
var errVerifierChanged = errors.New("NFS server write verifier changed before COMMIT (server restarted); uncommitted data may be lost")

// WriteDurably writes data to fh in chunks of at most wtmax bytes with
// UNSTABLE stability, then COMMITs unless the server already made every
// write stable. An NFS file handle needs no closing.
func (s *session) WriteDurably(ctx context.Context, fh []byte, data []byte) error {
	var (
		off    int
		verf   uint64
		stable = true
	)
	for off < len(data) {
		end := min(off+int(s.wtmax), len(data))
		n, how, v, err := s.conn.Write(ctx, fh, uint64(off), data[off:end], nfs3.Unstable)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("NFS WRITE at offset %d accepted 0 bytes", off)
		}
		if off == 0 {
			verf = v
		} else if v != verf {
			return errVerifierChanged
		}
		stable = stable && how == nfs3.FileSync
		off += int(n)
	}
	if stable && len(data) > 0 {
		return nil
	}
	v, err := s.conn.Commit(ctx, fh)
	if err != nil {
		return err
	}
	if len(data) > 0 && v != verf {
		return errVerifierChanged
	}
	return nil
}

// Get reads the whole object under key.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	if err := target.ValidateKey(target.OpGet, key); err != nil {
		return nil, err
	}
	var out []byte
	err := d.do(ctx, target.OpGet, key, func(s *session) error {
		fh, attr, err := s.lookup(ctx, key)
		if err != nil {
			return err
		}
		if attr.IsDir() {
			return nfs3.ErrNoEnt
		}
		out, err = s.readAll(ctx, fh, attr.Size)
		return err
	})
	return out, err
}

func (s *session) readAll(ctx context.Context, fh []byte, size uint64) ([]byte, error) {
	buf := make([]byte, 0, size)
	for {
		data, eof, err := s.conn.Read(ctx, fh, uint64(len(buf)), s.rtmax)
		if err != nil {
			return nil, err
		}
		buf = append(buf, data...)
		if eof {
			return buf, nil
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("NFS READ at offset %d returned no data before the end of file", len(buf))
		}
	}
}

// Stat returns the size and server modification time of key.
func (d *Driver) Stat(ctx context.Context, key string) (target.Entry, error) {
	if err := target.ValidateKey(target.OpStat, key); err != nil {
		return target.Entry{}, err
	}
	var e target.Entry
	err := d.do(ctx, target.OpStat, key, func(s *session) error {
		_, attr, err := s.lookup(ctx, key)
		if err != nil {
			return err
		}
		e = target.Entry{Key: key, Size: int64(attr.Size), ModTime: attr.Mtime, IsDir: attr.IsDir()}
		return nil
	})
	return e, err
}

// Delete removes the object under key. A missing key, or a key that is
// only a directory, is not an error; directories are left in place.
func (d *Driver) Delete(ctx context.Context, key string) error {
	if err := target.ValidateKey(target.OpDelete, key); err != nil {
		return err
	}
	el := elems(key)
	name := el[len(el)-1]
	return d.do(ctx, target.OpDelete, key, func(s *session) error {
		dir, err := s.dirFH(ctx, el[:len(el)-1], false)
		if errors.Is(err, nfs3.ErrNoEnt) || errors.Is(err, nfs3.ErrNotDir) {
			return nil
		}
		if err != nil {
			return err
		}
		err = s.conn.Remove(ctx, dir, name)
		if err == nil || errors.Is(err, nfs3.ErrNoEnt) {
			return nil
		}
		var st nfs3.Status
		if errors.As(err, &st) { // REMOVE of a directory fails with one of several statuses
			if _, attr, lerr := s.conn.Lookup(ctx, dir, name); lerr == nil && attr.IsDir() {
				return nil
			}
		}
		return err
	})
}
