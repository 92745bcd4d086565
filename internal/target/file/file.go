// Package file is the file:// target driver: a backup store in a local
// directory (or any mounted file system). Writes are durable: a temp file
// in the key's directory, fsync, rename over the key, fsync of the directory.
// Temp files use Longhorn's "<name>.tmp.<unixNanos>" form so List and Walk
// here, and Longhorn's readers, skip them.
package file

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/plinth-storage/plinth/internal/target"
)

// Scheme is the URL scheme this driver serves.
const Scheme = "file"

var _ target.Target = (*Target)(nil)

// Target is a backup store rooted at a local directory.
type Target struct {
	root string
}

// Params lists the URL query parameters the driver accepts: none.
var Params []string

// Open is the registry's entry point: u must be file:///abs/path, neither
// "/" nor a system directory (CheckRoot, symlinks resolved). The secret is
// unused. The directory is not written; Check reports whether it exists
// and is writable.
func Open(_ context.Context, u *url.URL, _ map[string]string) (target.Target, error) {
	root, err := RootFromURL(u)
	if err != nil {
		return nil, err
	}
	if err := CheckRoot(u.Path); err != nil {
		return nil, err
	}
	return New(root), nil
}

// RootFromURL validates a file:// URL and returns its directory. It
// refuses "/" and the system directories as written; CheckRoot also
// resolves symlinks.
func RootFromURL(u *url.URL) (string, error) {
	if u.Scheme != Scheme {
		return "", fmt.Errorf("file target URL %q: scheme must be %q", u.Redacted(), Scheme)
	}
	if u.Host != "" || u.User != nil {
		return "", fmt.Errorf("file target URL %q: must not name a host; use file:///absolute/path", u.Redacted())
	}
	if u.Path == "" || !filepath.IsAbs(u.Path) {
		return "", fmt.Errorf("file target URL %q: path must be absolute, as in file:///absolute/path", u.Redacted())
	}
	root := filepath.Clean(u.Path)
	if err := judge(root, root); err != nil {
		return "", err
	}
	return root, nil
}

// New returns a target rooted at the absolute directory root, which must
// exist before the first Put (Put never creates the root itself, so an
// unmounted mount point is not silently filled).
func New(root string) *Target {
	return &Target{root: filepath.Clean(root)}
}

// path maps a validated key to its file path.
func (t *Target) path(key string) string {
	if key == "" {
		return t.root
	}
	return filepath.Join(t.root, filepath.FromSlash(key))
}

// Check verifies the root is an existing, writable directory that is not
// "/" nor a system directory (ErrForbiddenRoot, permanent).
func (t *Target) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	if err := CheckRoot(t.root); err != nil {
		return target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	fi, err := os.Stat(t.root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return target.NewError(target.OpCheck, "", target.KindPermanent,
				fmt.Errorf("backup target directory %s does not exist; create it or fix the URL", t.root))
		}
		return classify(target.OpCheck, "", err)
	}
	if !fi.IsDir() {
		return target.NewError(target.OpCheck, "", target.KindPermanent,
			fmt.Errorf("backup target path %s is not a directory", t.root))
	}
	if err := unix.Access(t.root, unix.W_OK); err != nil {
		return classify(target.OpCheck, "", fmt.Errorf("backup target directory %s is not writable: %w", t.root, err))
	}
	return nil
}

// Properties: a local file system with real directories.
func (t *Target) Properties() target.Properties {
	return target.Properties{Scheme: Scheme, Connections: 8, HasDirs: true}
}

// Close has nothing to release.
func (t *Target) Close() error { return nil }

// classify maps file-system errors to target error kinds.
func classify(op, key string, err error) error {
	kind := target.KindTransient
	switch {
	case op == target.OpPut && errors.Is(err, syscall.ENOTDIR):
		kind = target.KindPermanent // a parent element of the key is an object
	case op == target.OpPut && errors.Is(err, os.ErrNotExist):
		kind = target.KindTransient // a directory vanished under a concurrent writer
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		kind = target.KindNotFound
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
		errors.Is(err, syscall.EROFS), errors.Is(err, syscall.ENOSPC),
		errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.ENAMETOOLONG),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.EEXIST),
		errors.Is(err, syscall.ENOTEMPTY):
		kind = target.KindPermanent
	}
	return target.NewError(op, key, kind, err)
}
