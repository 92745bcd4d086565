package cifs

import (
	"context"
	"os"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target/fstarget"
)

var _ fstarget.Writer[string, *smb2.File] = shareFS{}

// shareFS is the share, bound to one call's ctx, as the file system that
// fstarget's List, Walk and Put work on. Directory handles are
// share-relative paths (see config.remote).
type shareFS struct {
	sh  *smb2.Share
	cfg *config
}

// fs returns the file system of sh for this driver's target root.
func (d *Driver) fs(sh *smb2.Share) shareFS { return shareFS{sh: sh, cfg: &d.cfg} }

// MkdirAll makes directory dir and its parents and returns its path. The
// share's root needs no making.
func (f shareFS) MkdirAll(ctx context.Context, dir string) (string, error) {
	remote := f.cfg.remote(dir)
	if remote == "" {
		return "", nil
	}
	return remote, f.sh.MkdirAll(remote, 0o755)
}

// Create creates name in dir exclusively and opens it for writing. If the
// open fails, name is removed anyway: an open whose reply was lost may
// have created the file.
func (f shareFS) Create(ctx context.Context, dir, name string) (*smb2.File, error) {
	file, err := f.sh.OpenFile(joinRemote(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		removeQuietly(ctx, f.sh, joinRemote(dir, name))
		return nil, err
	}
	return file, nil
}

// WriteDurably writes data, FLUSHes it to the server's disk and closes
// the file.
func (f shareFS) WriteDurably(ctx context.Context, file *smb2.File, data []byte) error {
	_, err := file.Write(data)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// Rename renames from over to within dir, holding to's key lock (see
// keyLock) and retrying sharing conflicts with other clients briefly.
func (f shareFS) Rename(ctx context.Context, dir, from, to string) error {
	final := joinRemote(dir, to)
	lock := keyLock(f.cfg.addr, f.cfg.share, final)
	lock.Lock()
	defer lock.Unlock()
	return retryShared(ctx, func() error { return f.sh.Rename(joinRemote(dir, from), final) })
}

// Remove removes name from dir, on the share bound to ctx.
func (f shareFS) Remove(ctx context.Context, dir, name string) error {
	return f.sh.WithContext(ctx).Remove(joinRemote(dir, name))
}

// removeQuietly removes a temp file after a failed Put, briefly, even when
// ctx is done; a failure leaves a temp file that List hides.
func removeQuietly(ctx context.Context, sh *smb2.Share, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = sh.WithContext(ctx).Remove(name)
}

// joinRemote joins a share-relative directory path and a name.
func joinRemote(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + `\` + name
}
