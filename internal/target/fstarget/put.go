package fstarget

import (
	"context"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// Writer is what Put needs from a file-system-like target. D is the
// driver's handle of a directory (an NFS file handle, an SMB path), F that
// of an open file.
type Writer[D, F any] interface {
	// MkdirAll makes directory dir (a key below the target root; "" is
	// the root) and any missing parents, tolerating ones made
	// concurrently, and returns its handle.
	MkdirAll(ctx context.Context, dir string) (D, error)
	// Create makes a new, empty file name in dir and opens it for writing.
	Create(ctx context.Context, dir D, name string) (F, error)
	// WriteDurably writes data to f from offset 0, makes it durable on the
	// server's storage (fsync, COMMIT, FLUSH) and releases f.
	WriteDurably(ctx context.Context, f F, data []byte) error
	// Rename renames from to to within dir, atomically replacing to.
	Rename(ctx context.Context, dir D, from, to string) error
	// Remove removes the file name from dir.
	Remove(ctx context.Context, dir D, name string) error
}

// removeTimeout bounds the clean-up of a failed Put's temporary file.
const removeTimeout = 5 * time.Second

// Put stores data under key (validated with target.ValidateKey) through w:
// it makes the key's directory, writes data durably to a new temporary
// file there (target.NewTempName: List and Walk hide it) and renames that
// over key, so readers see the whole old object or the whole new one.
// Once the temporary file is created, a failure removes it again, briefly
// and even when ctx is done; if that fails too, the leftover stays hidden.
// Put returns w's errors unchanged.
func Put[D, F any](ctx context.Context, w Writer[D, F], key string, data []byte) error {
	dirKey, name := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		dirKey, name = key[:i], key[i+1:]
	}
	dir, err := w.MkdirAll(ctx, dirKey)
	if err != nil {
		return err
	}
	tmp := target.NewTempName(name)
	f, err := w.Create(ctx, dir, tmp)
	if err != nil {
		return err
	}
	err = w.WriteDurably(ctx, f, data)
	if err == nil {
		err = w.Rename(ctx, dir, tmp, name)
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		_ = w.Remove(rctx, dir, tmp)
	}
	return err
}
